"""template.yaml: transformed offline by SAM's own translator, linted by cfn-lint, and
checked against the code it deploys (the table layout, the handlers, the routes, the
secrets the runtime reads, the security headers)."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
PARAMETERS = {"MailFrom": "hello@fund.example.org", "CodeBucket": "cagnotte-artifacts-123456789012-eu-west-3", "CodeKey": "cagnotte/functions-0123.zip",
              "CatalogDigest": "0" * 64, "ApiStyleHash": "'sha256-abc='"}


def sam_template() -> dict:
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(TEMPLATE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cfn() -> dict:
    """The CloudFormation template that SAM's transform makes of template.yaml (offline)."""
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    # A session with a region and dummy keys: the translator only reads the region and partition.
    session = boto3.session.Session(region_name="eu-west-3", aws_access_key_id="offline",
                                    aws_secret_access_key="offline")
    translator = Translator(managed_policy_map={}, sam_parser=Parser(), boto_session=session)
    return translator.translate(sam_template=sam_template(), parameter_values=dict(PARAMETERS))


def resources(cfn: dict, kind: str) -> dict[str, dict]:
    return {name: r for name, r in cfn["Resources"].items() if r["Type"] == kind}


def test_cfn_lint_finds_nothing():
    from cfnlint.api import ManualArgs, lint

    matches = lint(TEMPLATE.read_text(encoding="utf-8"), config=ManualArgs(regions=["us-east-1", "eu-west-3"]))
    assert [str(m) for m in matches] == []


def test_cfn_lint_does_fail_a_broken_template():
    """The lint test can fail: a misspelt property is reported."""
    from cfnlint.api import ManualArgs, lint

    table = ("Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      {billing}: PAY_PER_REQUEST\n"
             "      KeySchema: [{{AttributeName: pk, KeyType: HASH}}]\n"
             "      AttributeDefinitions: [{{AttributeName: pk, AttributeType: S}}]\n")
    assert lint(table.format(billing="BillingMode"), config=ManualArgs(regions=["us-east-1"])) == []
    assert lint(table.format(billing="BillingMod"), config=ManualArgs(regions=["us-east-1"]))


def test_the_table_is_exactly_the_one_the_store_creates(cfn):
    from functions.store.dynamodb import DynamoDBStore

    class Recorder:
        created: dict = {}

        def create_table(self, **kwargs):
            self.created = kwargs

        def describe_table(self, TableName):
            return {"Table": {"TableStatus": "ACTIVE"}}

        def update_time_to_live(self, **kwargs):
            self.ttl = kwargs["TimeToLiveSpecification"]

    client = Recorder()
    DynamoDBStore("t", client=client)._create_table()
    (table,) = resources(cfn, "AWS::DynamoDB::Table").values()
    props = table["Properties"]
    wanted = client.created

    def by_name(items, key):
        return sorted(items, key=lambda i: i[key])

    assert props["BillingMode"] == wanted["BillingMode"] == "PAY_PER_REQUEST"
    assert by_name(props["AttributeDefinitions"], "AttributeName") == \
        by_name(wanted["AttributeDefinitions"], "AttributeName")
    assert props["KeySchema"] == wanted["KeySchema"]
    assert [{k: i[k] for k in ("IndexName", "KeySchema", "Projection")} for i in props["GlobalSecondaryIndexes"]] == \
        wanted["GlobalSecondaryIndexes"]
    assert props["TimeToLiveSpecification"] == client.ttl
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"  # the ledger outlives the stack


def test_functions_python_arm64_small_and_their_handlers_exist(cfn):
    functions = resources(cfn, "AWS::Lambda::Function")
    handlers = {}
    for name, fn in functions.items():
        props = fn["Properties"]
        assert props["Runtime"] == "python3.12" and props["Architectures"] == ["arm64"], name
        assert props["MemorySize"] <= 256, name
        assert props["Code"] == {"S3Bucket": {"Ref": "CodeBucket"}, "S3Key": {"Ref": "CodeKey"}}
        module, attr = props["Handler"].rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module), attr)), props["Handler"]
        handlers[name] = props["Handler"]
    assert sorted(handlers.values()) == sorted(f"functions.handlers.{m}.handler" for m in
                                               ("pledges", "webhook", "stats", "referrals", "manage", "download", "reminders", "comments", "settle",
                                                "ses_events"))


def test_every_route_of_the_router_reaches_its_handler(cfn):
    """Each prefix that `functions.router` serves has an HTTP API route on the function
    whose handler is the same module."""
    from functions.router import ROUTES

    handler_of = {name: r["Properties"]["Handler"].rsplit(".", 1)[0]
                  for name, r in resources(cfn, "AWS::Lambda::Function").items()}
    routes = {}
    for name, fn in sam_template()["Resources"].items():
        for event in (fn.get("Properties", {}).get("Events") or {}).values():
            if event["Type"] == "HttpApi":
                routes[event["Properties"]["Path"]] = handler_of[name]
    for prefix, module in ROUTES:
        matching = [path for path in routes if ("/api" + prefix).rstrip("/") == path.split("/{")[0].rstrip("/")
                    or path.startswith("/api" + prefix)]
        assert matching, f"no route for /api{prefix}"
        assert {routes[p] for p in matching} == {module}, prefix


def test_secrets_come_from_parameter_store_and_only_where_needed(cfn):
    functions = resources(cfn, "AWS::Lambda::Function")
    env = {name: set(fn["Properties"]["Environment"]["Variables"]) for name, fn in functions.items()}
    assert "STRIPE_SECRET_KEY_PARAM" in env["PledgesFunction"] and "CAGNOTTE_SECRET_PARAM" in env["PledgesFunction"]
    assert "STRIPE_WEBHOOK_SECRET_PARAM" in env["WebhookFunction"]
    assert "STRIPE_SECRET_KEY_PARAM" not in env["WebhookFunction"]
    assert env["StatsFunction"] == env["ReferralsFunction"] == {"CAGNOTTE_STORE"}
    for values in env.values():
        assert not values & {"STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "CAGNOTTE_SECRET"}  # never in plain text
    text = json.dumps(cfn)
    assert "sk_live_" not in text and "whsec_" not in text


def test_read_only_functions_cannot_write(cfn):
    roles = resources(cfn, "AWS::IAM::Role")
    for name in ("StatsFunctionRole", "ReferralsFunctionRole"):
        actions = {a for p in roles[name]["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]
                   for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
        assert actions == {"dynamodb:GetItem", "dynamodb:Query"}, name
    for role in roles.values():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                if isinstance(statement, dict):
                    assert statement.get("Resource") != "*", statement


def test_security_headers(cfn):
    policies = {name: r["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
                for name, r in resources(cfn, "AWS::CloudFront::ResponseHeadersPolicy").items()}
    for name, headers in policies.items():
        csp = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
        csp = csp if isinstance(csp, str) else csp["Fn::Sub"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, name
        assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000, name
        assert headers["ContentTypeOptions"]["Override"] is True, name
    assert "frame-ancestors 'none'" in policies["SiteHeadersPolicy"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert policies["SiteHeadersPolicy"]["FrameOptions"]["FrameOption"] == "DENY"
    assert "frame-ancestors *" in policies["EmbedHeadersPolicy"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert "FrameOptions" not in policies["EmbedHeadersPolicy"]


def test_cache_behaviours(cfn):
    (dist,) = resources(cfn, "AWS::CloudFront::Distribution").values()
    config = dist["Properties"]["DistributionConfig"]
    behaviours = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {"Ref": "SiteHeadersPolicy"}
    for pattern in ("/campaigns/*/embed/*", "/*/campaigns/*/embed/*"):
        assert behaviours[pattern]["ResponseHeadersPolicyId"] == {"Ref": "EmbedHeadersPolicy"}
    assert behaviours["/api/campaigns/*"]["CachePolicyId"] == {"Ref": "ApiReadCachePolicy"}
    assert behaviours["/api/*"]["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    assert "POST" in behaviours["/api/*"]["AllowedMethods"]
    # CloudFront takes the first behaviour that matches: the specific /api ones before /api/*.
    order = [b["PathPattern"] for b in config["CacheBehaviors"]]
    assert order.index("/api/*") == len(order) - 1
    cached = cfn["Resources"]["ApiReadCachePolicy"]["Properties"]["CachePolicyConfig"]
    assert cached["MaxTTL"] <= 60 and cached["DefaultTTL"] == 0  # as briefly as the functions say
    assert [e["ErrorCode"] for e in config["CustomErrorResponses"]] == [403]  # the API's JSON 404s pass through


def test_optional_domain_and_outputs():
    template = sam_template()
    assert {"HasDomain", "CreateCertificate", "PointZone"} <= set(template["Conditions"])
    assert template["Resources"]["Certificate"]["Condition"] == "CreateCertificate"
    assert {"SiteUrl", "ApiUrl", "WebhookUrl", "DistributionId", "SiteBucket", "Store", "CatalogDigest"} <= \
        set(template["Outputs"])


def test_the_webhook_events_are_those_the_functions_apply():
    """The subscription list the stack prints and docs/deploy.md gives are exactly what the webhook handles."""
    import re

    from functions.core.events import HANDLED

    assert tuple(sam_template()["Outputs"]["WebhookEvents"]["Value"].split(",")) == HANDLED
    deploy = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    listed = deploy[deploy.index("Events to send:"):deploy.index("Reveal the signing secret")]
    assert tuple(re.findall(r"^\s+- `([a-z_.]+)`", listed, re.M)) == HANDLED


@pytest.mark.skipif(shutil.which("node") is None, reason="node runs the CloudFront Function's JavaScript")
def test_the_cloudfront_function_maps_folders_to_index_html():
    code = sam_template()["Resources"]["IndexFunction"]["Properties"]["FunctionCode"]
    cases = [
        {"uri": "/", "querystring": {}},
        {"uri": "/campaigns/lina/", "querystring": {}},
        {"uri": "/campaigns/lina", "querystring": {"ref": {"value": "abc"}}},
        {"uri": "/en", "querystring": {}},
        {"uri": "/static/css/site.e8365699fe.css", "querystring": {}},
    ]
    script = code + "\nconsole.log(JSON.stringify(" + json.dumps(cases) + \
        ".map(function (r) { return handler({request: r}); })));"
    out = json.loads(subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout)
    assert out[0]["uri"] == "/index.html"
    assert out[1]["uri"] == "/campaigns/lina/index.html"
    assert out[2]["statusCode"] == 301 and out[2]["headers"]["location"]["value"] == "/campaigns/lina/?ref=abc"
    assert out[3]["headers"]["location"]["value"] == "/en/"
    assert out[4]["uri"] == "/static/css/site.e8365699fe.css"


def test_the_comments_function_writes_the_table_mails_and_reads_only_the_site_secret(cfn):
    functions = resources(cfn, "AWS::Lambda::Function")
    env = functions["CommentsFunction"]["Properties"]["Environment"]["Variables"]
    assert set(env) >= {"CAGNOTTE_SECRET_PARAM", "CAGNOTTE_MAIL"} and "STRIPE_SECRET_KEY_PARAM" not in env
    role = resources(cfn, "AWS::IAM::Role")["CommentsFunctionRole"]
    statements = [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]
    text = json.dumps(statements)
    assert "dynamodb:PutItem" in text and "index/by_campaign" in text and "stripe-secret-key" not in text
    paths = {e["Properties"]["Path"] for e in sam_template()["Resources"]["CommentsFunction"]["Properties"]["Events"].values()}
    assert paths == {"/api/comments", "/api/comments/confirm/{token}"}


def test_the_survey_page_is_the_manage_functions_and_may_write_its_answers(cfn):
    """/api/survey/{token} (the pledge manager) runs in the manage function, whose role can make the
    answers' transaction: a ConditionCheck on the campaign's lock flag and a Put, on the table only."""
    routes = {event["Properties"]["Path"]: name for name, fn in sam_template()["Resources"].items()
              for event in (fn.get("Properties", {}).get("Events") or {}).values() if event["Type"] == "HttpApi"}
    assert routes["/api/survey/{token}"] == routes["/api/manage/{token}"] == "ManageFunction"
    role = resources(cfn, "AWS::IAM::Role")["ManageFunctionRole"]
    statements = [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]
                  if isinstance(s, dict) and any(a.startswith("dynamodb:") for a in
                                                 ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))]
    actions = {a for s in statements for a in s["Action"]}
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:ConditionCheckItem"} <= actions
    assert "dynamodb:Scan" not in actions

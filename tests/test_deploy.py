"""`cagnotte deploy` against a local AWS (moto's server on 127.0.0.1): the function package
uploaded once, the stack made through change sets, the site uploaded object by object with
its headers, deletions, a no-op second deploy, invalidations of exactly what changed.

The stack here comes from a small CloudFormation template (a bucket and the outputs the
deploy reads): moto runs CloudFormation's change sets but not the SAM transform nor
CloudFront resources, so template.yaml itself is checked offline by tests/test_template.py.
"""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest

from generator.deploy import site as site_module
from generator.deploy.stack import Stack, StackError

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  CodeBucket: {Type: String}
  CodeKey: {Type: String}
  CatalogDigest: {Type: String, Default: ""}
  TestDistribution: {Type: String}
Resources:
  SiteBucket:
    Type: AWS::S3::Bucket
Outputs:
  SiteBucket: {Value: !Ref SiteBucket}
  DistributionId: {Value: !Ref TestDistribution}
  CatalogDigest: {Value: !Ref CatalogDigest}
  CodeKey: {Value: !Ref CodeKey}
  SiteUrl: {Value: "https://fund.example.test"}
"""


@pytest.fixture
def aws(moto_server, monkeypatch, tmp_path):
    """boto3 on moto's server; never a real account (no profile, no instance metadata)."""
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setattr("generator.deploy.stack.time.sleep", lambda seconds: None)
    return boto3.session.Session()


@pytest.fixture
def deployable(site, cli, aws, tmp_path):
    """A built fixture site, a template, a CloudFront distribution; returns a deploy runner."""
    assert cli("--site", str(site), "build").exit_code == 0
    template = tmp_path / "stack.yaml"
    template.write_text(TEMPLATE)
    distribution = aws.client("cloudfront").create_distribution(DistributionConfig={
        "CallerReference": str(tmp_path), "Comment": "test", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": "site.s3.amazonaws.com",
                                               "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
                                 "MinTTL": 0, "ForwardedValues": {"QueryString": False,
                                                                  "Cookies": {"Forward": "none"}},
                                 "TrustedSigners": {"Enabled": False, "Quantity": 0}},
    })["Distribution"]["Id"]
    stack = f"t{abs(hash(str(tmp_path))) % 10**8}"
    # moto's CREATE change sets leave a stack without outputs (a moto gap): create it as a
    # first deploy would, so that each deploy below goes through an UPDATE change set.
    aws.client("cloudformation").create_stack(StackName=stack, TemplateBody=TEMPLATE, Parameters=[
        {"ParameterKey": "CodeBucket", "ParameterValue": "none"}, {"ParameterKey": "CodeKey", "ParameterValue": "none"},
        {"ParameterKey": "TestDistribution", "ParameterValue": distribution}])

    def run(*extra: str):
        return cli("--site", str(site), "deploy", "--stack", stack, "--template", str(template),
                   "-p", f"TestDistribution={distribution}", *extra)

    run.site, run.stack, run.distribution = site, stack, distribution
    return run


def bucket_of(aws, stack: str) -> str:
    outputs = aws.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
    return {o["OutputKey"]: o["OutputValue"] for o in outputs}["SiteBucket"]


def objects(aws, bucket: str) -> dict[str, dict]:
    s3 = aws.client("s3")
    listing = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    heads = {o["Key"]: s3.head_object(Bucket=bucket, Key=o["Key"]) for o in listing}
    return {key: {k: v for k, v in head.items() if k != "ResponseMetadata"} for key, head in heads.items()}


def invalidated(aws, distribution: str) -> list[list[str]]:
    cloudfront = aws.client("cloudfront")
    items = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"].get("Items", [])
    return [cloudfront.get_invalidation(DistributionId=distribution, Id=i["Id"])["Invalidation"]
            ["InvalidationBatch"]["Paths"].get("Items", []) for i in items]


def test_deploy_uploads_the_site_with_its_headers_then_nothing_then_only_changes(deployable, aws):
    site = deployable.site
    out = site / "_site"
    first = deployable()
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert lines[0].startswith("function package: ") and " MB zipped" in lines[0]
    assert lines[1] == f"account 123456789012, region us-east-1, stack {deployable.stack}"
    assert any(line.startswith(f"stack {deployable.stack}: update, ") for line in lines)
    built = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert f"site: {len(built)} files, {len(built)} to upload" in first.stdout
    assert "CDN: nothing to invalidate" in first.stdout  # nothing was there to be cached
    assert lines[-1] == "deployed: https://fund.example.test"

    # The package: uploaded once, content-addressed, carrying the catalog the build made.
    account = aws.client("sts").get_caller_identity()["Account"]
    artifacts = f"cagnotte-artifacts-{account}-us-east-1"
    s3 = aws.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=artifacts)["Contents"]]
    (package_key,) = [k for k in keys if k.endswith(".zip")]
    assert package_key.startswith(f"{deployable.stack}/functions-")
    package = zipfile.ZipFile(io.BytesIO(s3.get_object(Bucket=artifacts, Key=package_key)["Body"].read()))
    assert package.read("functions/catalog.json") == (out / "catalog.json").read_bytes()

    # Object by object: every file, its type and its caching.
    bucket = bucket_of(aws, deployable.stack)
    stored = objects(aws, bucket)
    assert sorted(stored) == built
    css = next(k for k in built if k.startswith("static/css/"))
    expected = {
        "index.html": ("text/html; charset=utf-8", site_module.REVALIDATE),
        "campaigns/premier-album/index.html": ("text/html; charset=utf-8", site_module.REVALIDATE),
        css: ("text/css; charset=utf-8", "public, max-age=31536000, immutable"),
        "feed.xml": ("application/atom+xml; charset=utf-8", site_module.REVALIDATE),
        "sitemap.xml": ("application/xml; charset=utf-8", site_module.REVALIDATE),
        "catalog.json": ("application/json", site_module.REVALIDATE),
        "robots.txt": ("text/plain; charset=utf-8", site_module.REVALIDATE),
        "campaigns/premier-album/cover.png": ("image/png", site_module.SHORT),
    }
    for key, (content_type, cache) in expected.items():
        assert (stored[key]["ContentType"], stored[key]["CacheControl"]) == (content_type, cache), key
    assert site_module.REVALIDATE.startswith("public, max-age=0") and "must-revalidate" in site_module.REVALIDATE
    for key in built:
        assert stored[key]["ETag"].strip('"') == __import__("hashlib").md5((out / key).read_bytes()).hexdigest()

    # A second deploy of the same site: no stack change, nothing uploaded, nothing invalidated.
    second = deployable()
    assert second.exit_code == 0, second.output
    assert f"stack {deployable.stack}: no changes" in second.stdout
    assert f"site: {len(built)} files, 0 to upload (0 bytes), 0 to delete, {len(built)} unchanged" in second.stdout
    assert "CDN: nothing to invalidate" in second.stdout
    assert {k: v["LastModified"] for k, v in objects(aws, bucket).items()} == \
        {k: v["LastModified"] for k, v in stored.items()}
    assert invalidated(aws, deployable.distribution) == []

    # An edited campaign and a removed update: the changed pages go up, the removed ones go away,
    # and exactly those paths are invalidated; the new catalog updates the stack.
    index = site / "content/campaigns/tokyo-zine/index.md"
    index.write_text(index.read_text().replace("title: ", "title: Nouveau ", 1))
    (site / "content/campaigns/tokyo-zine/updates/2026-11-10-first-walk.md").unlink()
    from click.testing import CliRunner

    from generator.cli import main

    assert CliRunner().invoke(main, ["--site", str(site), "build"]).exit_code == 0
    third = deployable()
    assert third.exit_code == 0, third.output
    assert f"stack {deployable.stack}: update, " in third.stdout
    after = objects(aws, bucket)
    assert sorted(after) == sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    gone = "campaigns/tokyo-zine/updates/2026-11-10-first-walk/index.html"
    assert gone in stored and gone not in after
    (paths,) = invalidated(aws, deployable.distribution)
    assert "/campaigns/tokyo-zine/" in paths and "/campaigns/tokyo-zine/index.html" in paths
    assert f"/{gone}" in paths and "/campaigns/tokyo-zine/updates/2026-11-10-first-walk/" in paths
    assert "/catalog.json" in paths
    assert not any(p.startswith("/static/") for p in paths)  # unchanged assets stay cached
    changed = {k for k in after if after[k]["LastModified"] != stored.get(k, {}).get("LastModified")}
    assert changed and changed < set(after)  # some files, not all


def test_dry_run_prints_the_plan_and_changes_nothing(deployable, aws):
    assert deployable().exit_code == 0
    bucket = bucket_of(aws, deployable.stack)
    before = objects(aws, bucket)
    index = deployable.site / "content/campaigns/premier-album/index.md"
    index.write_text(index.read_text().replace("    amount: 10\n", "    amount: 11\n", 1))
    from click.testing import CliRunner

    from generator.cli import main

    assert CliRunner().invoke(main, ["--site", str(deployable.site), "build"]).exit_code == 0
    dry = deployable("--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"(dry run) stack {deployable.stack}: update, " in dry.stdout
    assert "  upload /campaigns/premier-album/index.html" in dry.stdout
    assert "  upload /catalog.json" in dry.stdout
    assert "(dry run) CDN: would invalidate" in dry.stdout
    assert objects(aws, bucket) == before
    assert invalidated(aws, deployable.distribution) == []
    stacks = aws.client("cloudformation").describe_stacks(StackName=deployable.stack)["Stacks"]
    assert stacks[0]["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")


def test_site_only_uploads_when_the_functions_trust_this_catalog_and_refuses_otherwise(deployable, aws):
    import hashlib

    digest = hashlib.sha256((deployable.site / "_site" / "catalog.json").read_bytes()).hexdigest()
    cfn = aws.client("cloudformation")

    def stack_with(name: str, catalog: str) -> None:
        cfn.create_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=[
            {"ParameterKey": "CodeBucket", "ParameterValue": "b"}, {"ParameterKey": "CodeKey", "ParameterValue": "k"},
            {"ParameterKey": "CatalogDigest", "ParameterValue": catalog},
            {"ParameterKey": "TestDistribution", "ParameterValue": deployable.distribution}])

    from generator.cli import main
    from click.testing import CliRunner

    def site_only(name: str):
        return CliRunner().invoke(main, ["--site", str(deployable.site), "deploy", "--stack", name, "--site-only"])

    stack_with(deployable.stack + "-same", digest)
    same = site_only(deployable.stack + "-same")
    assert same.exit_code == 0, same.output
    assert "function package" not in same.stdout and "site: " in same.stdout
    # Pages whose prices the functions do not know would be refused at checkout: not shipped.
    stack_with(deployable.stack + "-old", "0" * 64)
    refused = site_only(deployable.stack + "-old")
    assert refused.exit_code == 1, refused.output
    assert refused.stderr.startswith("Error: the catalog changed") and refused.stderr.count("\n") == 1


def test_errors_are_one_line(deployable, aws, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    result = deployable()
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no AWS credentials found: ") and result.stderr.count("\n") == 1
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    wrong = deployable("-p", "Nope=1")
    assert wrong.exit_code == 1 and wrong.stderr.startswith("Error: stack.yaml has no parameter Nope")
    import shutil

    shutil.rmtree(deployable.site / "_site")
    unbuilt = deployable()
    assert unbuilt.exit_code == 1 and "run `cagnotte build` first" in unbuilt.stderr


class RollingBack:
    """A CloudFormation client whose change set runs and then rolls back."""

    def __init__(self):
        self.polls = 0

    def describe_stacks(self, StackName):
        self.polls += 1
        status = "UPDATE_IN_PROGRESS" if self.polls < 3 else "UPDATE_ROLLBACK_COMPLETE"
        return {"Stacks": [{"StackStatus": status, "StackName": StackName}]}

    def describe_stack_events(self, StackName):
        if self.polls < 2:
            return {"StackEvents": []}
        return {"StackEvents": [
            {"EventId": "2", "LogicalResourceId": "SiteBucket", "ResourceStatus": "UPDATE_FAILED",
             "ResourceStatusReason": "Resource update cancelled"},
            {"EventId": "1", "LogicalResourceId": "PledgesFunction", "ResourceStatus": "UPDATE_FAILED",
             "ResourceStatusReason": "Unzipped size must be smaller than 262144000 bytes"}]}

    def execute_change_set(self, **kwargs):
        pass


def test_a_rollback_is_one_line_naming_the_first_failure():
    said = []
    stack = Stack(RollingBack(), "shop", said.append, poll=0, sleep=lambda s: None)
    from generator.deploy.stack import ChangeSet

    with pytest.raises(StackError) as error:
        stack.execute(ChangeSet(id="cs", kind="UPDATE"))
    assert str(error.value) == ("stack shop rolled back (UPDATE_ROLLBACK_COMPLETE): PledgesFunction UPDATE_FAILED: "
                                "Unzipped size must be smaller than 262144000 bytes")
    assert any("PledgesFunction" in line for line in said)


def test_invalidation_paths_name_pages_by_their_address_and_fold_when_many():
    plan = site_module.SitePlan(files=[], replaced=["index.html", "campaigns/a/index.html", "feed.xml"],
                                delete=["campaigns/b/index.html"])
    assert plan.invalidation_paths() == ["/", "/campaigns/a/", "/campaigns/a/index.html", "/campaigns/b/",
                                         "/campaigns/b/index.html", "/feed.xml", "/index.html"]
    many = site_module.SitePlan(files=[], replaced=[f"p{i}/index.html" for i in range(200)])
    assert many.invalidation_paths() == ["/*"]


def test_cache_rules():
    assert site_module.cache_control("static/js/pledge.a38eb2088f.js") == "public, max-age=31536000, immutable"
    assert site_module.cache_control("campaigns/x/updates/feed.xml") == site_module.REVALIDATE
    assert site_module.cache_control("campaigns/x/cover.jpg") == site_module.SHORT
    assert json.loads(json.dumps(site_module.TYPES))[".woff2"] == "font/woff2"


def _without_credentials(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


def test_the_region_error_names_the_variable_boto3_reads_and_aws_region_is_taken_too(deployable, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    missing = deployable()
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: no AWS region: set AWS_DEFAULT_REGION ") and missing.stderr.count("\n") == 1
    monkeypatch.setenv("AWS_REGION", "us-east-1")  # what GitHub's configure-aws-credentials and other tools set
    dry = deployable("--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"(dry run) account 123456789012, region us-east-1, stack {deployable.stack}" in dry.stdout


def test_a_dry_run_without_credentials_or_region_still_shows_the_site_upload(deployable, monkeypatch):
    _without_credentials(monkeypatch)
    dry = deployable("--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "(dry run) no AWS credentials: the plan below assumes a new stack and an empty site bucket" in dry.stdout
    assert "function package: " in dry.stdout and f"(dry run) stack {deployable.stack}: from " in dry.stdout
    assert "  upload /campaigns/premier-album/index.html" in dry.stdout
    assert "  upload /catalog.json" in dry.stdout
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    regionless = deployable("--dry-run")
    assert regionless.exit_code == 0, regionless.output
    assert "(dry run) no AWS region: the plan" in regionless.stdout
    assert "  upload /catalog.json" in regionless.stdout


def test_digital_rewards_files_go_to_the_private_bucket_once_never_to_the_site(aws, tmp_path):
    import json

    from generator.deploy.site import download_files, sync_downloads

    root = tmp_path / "site"
    folder = root / "content/campaigns/album"
    folder.mkdir(parents=True)
    (folder / "album.zip").write_bytes(b"PK\x03\x04 the album")
    (folder / "booklet.pdf").write_bytes(b"%PDF-1.7 the lyrics")
    (root / ".cagnotte").mkdir()
    (root / ".cagnotte/private.json").write_text(json.dumps(
        {"format": 1, "creators": {}, "downloads": {"album": {"digital": {"files": ["album.zip", "booklet.pdf"]},
                                                              "keys": {"codes": ["A1", "B2"]}}}}))
    files = download_files(root)
    assert [key for key, _ in files] == ["album/album.zip", "album/booklet.pdf"]  # codes are never files
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="downloads-test")
    assert sync_downloads(s3, "downloads-test", files, dry_run=True) == ["album/album.zip", "album/booklet.pdf"]
    assert s3.list_objects_v2(Bucket="downloads-test").get("KeyCount") == 0  # a dry run uploads nothing
    assert sync_downloads(s3, "downloads-test", files) == ["album/album.zip", "album/booklet.pdf"]
    head = s3.head_object(Bucket="downloads-test", Key="album/album.zip")
    assert head["ContentDisposition"] == 'attachment; filename="album.zip"'
    assert sync_downloads(s3, "downloads-test", files) == []  # unchanged: nothing again
    (folder / "booklet.pdf").write_bytes(b"%PDF-1.7 the lyrics, corrected")
    assert sync_downloads(s3, "downloads-test", files) == ["album/booklet.pdf"]

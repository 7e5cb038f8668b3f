"""``cagnotte deploy``: the function package, the stack, the site, the CDN — in that order.

1. Build the function package (``functions/`` + stripe + the built catalog) and print its size.
2. Upload it (once per content) to the account's artifacts bucket, then create or update the
   stack from template.yaml through a change set, printed before it runs.
3. Upload the site to the stack's bucket (only what changed, with the right Content-Type and
   Cache-Control), delete what the build no longer makes.
4. Invalidate the changed and deleted paths in CloudFront.

The functions go first: a new page never posts to functions that do not know its campaign.
``--dry-run`` prints all of it and changes nothing (the change set is made, shown, deleted).
``--site-only`` skips 1–2 when the catalog the functions trust has not changed.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .package import PackageError, build_package, human
from .site import (apply, describe, download_files, list_bucket, plan, read_manifest, scan, sync_downloads,
                   write_manifest)
from .stack import MAX_TEMPLATE_BODY, Stack, StackError, template_parameters

ARTIFACTS = "cagnotte-artifacts-{account}-{region}"


class DeployError(Exception):
    """What stopped the deploy, in one line."""


@dataclass
class Options:
    root: Path  # the site folder (site.yml)
    out: Path  # the built site
    stack: str = "cagnotte"
    template: Path | None = None
    dry_run: bool = False
    site_only: bool = False
    parameters: dict[str, str] = field(default_factory=dict)
    poll: float = 5.0  # seconds between CloudFormation polls


def find_template(root: Path) -> Path:
    """template.yaml beside site.yml (a site's own stack), else the one this cagnotte ships."""
    from generator.resources import shipped

    for candidate in (root / "template.yaml", shipped("template.yaml")):
        if candidate.is_file():
            return candidate
    raise DeployError(f"no template.yaml in {root}, and this cagnotte installation ships none: reinstall cagnotte")


def api_style_hash() -> str:
    """The CSP source allowing the one inline <style> of the pages the functions answer."""
    from functions.pages import STYLE

    return "'sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode("ascii") + "'"


def deploy(options: Options, say: Callable[[str], None], session: Any = None) -> None:
    """Deploy; every failure a user can act on is raised as :class:`DeployError`."""
    try:
        _deploy(options, say, session)
    except (DeployError, PackageError, StackError) as error:
        raise DeployError(str(error)) from None
    except Exception as error:  # botocore's, translated below; anything else is a bug
        message = aws_error(error)
        if message is None:
            raise
        raise DeployError(message) from None


# boto3 reads the region from AWS_DEFAULT_REGION or the profile (~/.aws/config), not from AWS_REGION,
# which other AWS tools read (GitHub's configure-aws-credentials sets both): deploy takes either.
NO_REGION = ("no AWS region: set AWS_DEFAULT_REGION (for example eu-west-3, Paris), "
             "or region in your AWS profile (aws configure)")


def session_region(session: Any) -> str | None:
    """The session's region, else AWS_REGION's (see :data:`NO_REGION`)."""
    return session.region_name or os.environ.get("AWS_REGION") or None


def aws_error(error: Exception) -> str | None:
    """botocore's exceptions as one plain line (None: not an AWS error)."""
    from botocore import exceptions as b

    if isinstance(error, (b.NoCredentialsError, b.PartialCredentialsError)):
        return ("no AWS credentials found: set AWS_PROFILE (after `aws configure` or `aws sso login`), "
                "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY — see docs/deploy.md")
    if isinstance(error, b.NoRegionError):
        return NO_REGION
    if isinstance(error, (b.EndpointConnectionError, b.ConnectTimeoutError)):
        return f"cannot reach AWS ({error}): check the network"
    if isinstance(error, b.ClientError):
        info = error.response.get("Error", {})
        code, text = info.get("Code", "?"), info.get("Message", "")
        operation = getattr(error, "operation_name", "a call")
        if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
            return "your AWS credentials have expired: sign in again (aws sso login) and deploy again"
        if code in ("InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException"):
            return f"AWS does not recognise these credentials ({code}): check AWS_PROFILE or the access keys"
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            return f"AWS refused {operation}: {text} — give the deploying role that permission (docs/deploy.md)"
        return f"AWS {operation} failed: {code}: {text}"
    if isinstance(error, b.BotoCoreError):
        return f"AWS: {error}"
    return None


def _deploy(options: Options, say: Callable[[str], None], session: Any) -> None:
    import boto3

    if session is None:
        session = boto3.session.Session()
        if not session.region_name and os.environ.get("AWS_REGION"):
            session = boto3.session.Session(region_name=os.environ["AWS_REGION"])
    region = session_region(session)
    if not (options.out / "catalog.json").is_file():
        raise DeployError(f"{options.out} has no built site (catalog.json): run `cagnotte build` first")
    dry = "(dry run) " if options.dry_run else ""
    if options.dry_run and (not region or session.get_credentials() is None):
        _offline_plan(options, say, "no AWS region" if not region else "no AWS credentials")
        return
    if not region:
        raise DeployError(NO_REGION)

    try:
        account = session.client("sts").get_caller_identity()["Account"]  # fails fast without credentials
    except Exception as error:
        if not options.dry_run or aws_error(error) is None:
            raise
        _offline_plan(options, say, aws_error(error))
        return
    package = None
    if not options.site_only:
        package = build_package(options.out, options.root / ".cagnotte" / "deploy" / "functions.zip",
                                private=options.root / ".cagnotte" / "private.json")
        say(package.summary())
    artifacts = ARTIFACTS.format(account=account, region=region)
    s3 = session.client("s3")
    stack = Stack(session.client("cloudformation"), options.stack, say, poll=options.poll)
    say(f"{dry}account {account}, region {region}, stack {options.stack}")

    if options.site_only:
        outputs = stack.outputs()
        local = hashlib.sha256((options.out / "catalog.json").read_bytes()).hexdigest()
        if outputs.get("CatalogDigest") not in (None, "", local):
            raise DeployError("the catalog changed (prices, limits or dates) since the functions were deployed: "
                              "deploy without --site-only so that they trust the new one")
    else:
        outputs = _deploy_stack(options, say, session, stack, s3, artifacts, package)

    bucket = outputs.get("SiteBucket")
    if not bucket:
        if options.dry_run:
            say(f"{dry}site: {len(scan(options.out))} files to upload once the stack exists")
            return
        raise DeployError(f"stack {options.stack} has no SiteBucket output: is --template a Cagnotte template?")
    manifest_key = f"{options.stack}/site-manifest.json"
    manifest = read_manifest(s3, artifacts, manifest_key) if _bucket_exists(s3, artifacts) else {}
    site = plan(scan(options.out), list_bucket(s3, bucket), manifest)
    size = sum(f.size for f in site.upload)
    say(f"{dry}site: {len(site.files)} files, {len(site.upload)} to upload ({human(size)}), "
        f"{len(site.delete)} to delete, {site.unchanged} unchanged")
    downloads = outputs.get("DownloadsBucket")
    files = download_files(options.root)
    if files and downloads:  # digital rewards: their files go to the private bucket, never the site's
        sent = sync_downloads(s3, downloads, files, options.dry_run)
        say(f"{dry}downloads: {len(files)} file{'s' if len(files) != 1 else ''} of digital rewards, "
            f"{len(sent)} to upload to the private bucket")
    elif files:
        raise DeployError(f"stack {options.stack} has no DownloadsBucket output: its template predates digital "
                          "rewards (use cagnotte's template.yaml)")
    paths = site.invalidation_paths()
    if options.dry_run:
        for line in describe(site):
            say(line)
        if paths:
            say(f"{dry}CDN: would invalidate {len(paths)} path{'s' if len(paths) != 1 else ''}")
        return
    if site.upload or site.delete:
        apply(s3, bucket, site, say)
    if site.upload or site.delete or manifest != site.manifest():
        _ensure_bucket(s3, artifacts, region)
        write_manifest(s3, artifacts, manifest_key, site)
    distribution = outputs.get("DistributionId")
    if paths and distribution:
        cloudfront = session.client("cloudfront")
        answer = cloudfront.create_invalidation(DistributionId=distribution, InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths}, "CallerReference": uuid.uuid4().hex})
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        say(f"CDN: invalidating {shown} ({answer['Invalidation']['Id']})")
    elif not paths:
        say("CDN: nothing to invalidate")
    if outputs.get("SiteUrl"):
        say(f"deployed: {outputs['SiteUrl']}")
    if outputs.get("WebhookUrl") and outputs.get("WebhookEvents"):
        say(f"Stripe webhook: {outputs['WebhookUrl']}, events {outputs['WebhookEvents'].replace(',', ', ')}")


def _offline_plan(options: Options, say: Callable[[str], None], why: str) -> None:
    """``--dry-run`` without AWS: what would be packaged and uploaded, as if the stack were new."""
    dry = "(dry run) "
    say(f"{dry}{why}: the plan below assumes a new stack and an empty site bucket")
    if not options.site_only:
        package = build_package(options.out, options.root / ".cagnotte" / "deploy" / "functions.zip",
                                private=options.root / ".cagnotte" / "private.json")
        say(package.summary())
        template_path = options.template or find_template(options.root)
        declared = template_parameters(template_path.read_text(encoding="utf-8"))
        unknown = sorted(set(options.parameters) - declared)
        if unknown:
            raise DeployError(f"{template_path.name} has no parameter {', '.join(unknown)} "
                              f"(it has {', '.join(sorted(declared))})")
        say(f"{dry}stack {options.stack}: from {template_path}")
    site = plan(scan(options.out), {}, {})
    size = sum(f.size for f in site.upload)
    say(f"{dry}site: {len(site.files)} files, {len(site.upload)} to upload ({human(size)})")
    for line in describe(site):
        say(line)


def _deploy_stack(options: Options, say, session, stack: Stack, s3, artifacts: str, package) -> dict[str, str]:
    template_path = options.template or find_template(options.root)
    body = template_path.read_text(encoding="utf-8")
    declared = template_parameters(body)
    unknown = sorted(set(options.parameters) - declared)
    if unknown:
        raise DeployError(f"{template_path.name} has no parameter {', '.join(unknown)} "
                          f"(it has {', '.join(sorted(declared))})")
    code_key = f"{options.stack}/{package.key}"
    ours = {"CodeBucket": artifacts, "CodeKey": code_key, "CatalogDigest": package.catalog_sha256,
            "ApiStyleHash": api_style_hash()}
    parameters = {k: v for k, v in ours.items() if k in declared} | options.parameters
    if not options.dry_run:
        _ensure_bucket(s3, artifacts, session_region(session))
        if not _object_exists(s3, artifacts, code_key):
            s3.upload_file(str(package.path), artifacts, code_key)
            say(f"uploaded s3://{artifacts}/{code_key}")
    if len(body.encode("utf-8")) > MAX_TEMPLATE_BODY and not options.dry_run:
        key = f"{options.stack}/template-{hashlib.sha256(body.encode()).hexdigest()[:20]}.yaml"
        s3.put_object(Bucket=artifacts, Key=key, Body=body.encode("utf-8"))
        template = {"TemplateURL": f"https://{artifacts}.s3.{session_region(session)}.amazonaws.com/{key}"}
    else:
        template = {"TemplateBody": body}
    dry = "(dry run) " if options.dry_run else ""
    if stack.unchanged(body, parameters):
        say(f"{dry}stack {options.stack}: no changes")
        return stack.outputs()
    change_set = stack.change_set(template, parameters, declared)
    if change_set is None:
        say(f"{dry}stack {options.stack}: no changes")
        return stack.outputs()
    verb = "create" if change_set.kind == "CREATE" else "update"
    say(f"{dry}stack {options.stack}: {verb}, {len(change_set.changes)} change"
        f"{'s' if len(change_set.changes) != 1 else ''}")
    for line in change_set.changes:
        say(line)
    if options.dry_run:
        stack.discard(change_set)
        return {} if change_set.kind == "CREATE" else stack.outputs()
    stack.execute(change_set)
    say(f"stack {options.stack}: {verb}d")
    return stack.outputs()


def _bucket_exists(s3, bucket: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
        return True
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchBucket", "NotFound"):
            return False
        raise


def _ensure_bucket(s3, bucket: str, region: str) -> None:
    """The account's private bucket for function packages and the site manifest."""
    if _bucket_exists(s3, bucket):
        return
    args: dict = {"Bucket": bucket}
    if region != "us-east-1":
        args["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**args)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})


def _object_exists(s3, bucket: str, key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise

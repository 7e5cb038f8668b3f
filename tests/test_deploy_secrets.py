"""On AWS the functions read their secrets from SSM Parameter Store (SecureString), named by
``<NAME>_PARAM`` (template.yaml), once per cold start; here against moto's server."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from functions import runtime as runtime_module
from functions.core.errors import Unavailable
from functions.runtime import Runtime


@pytest.fixture
def prefix(moto_server, monkeypatch) -> str:
    for name in runtime_module.SECRETS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_PARAM", raising=False)
    return f"/cagnotte-test-{uuid.uuid4().hex[:8]}"


def put(name: str, value: str) -> None:
    boto3.client("ssm").put_parameter(Name=name, Value=value, Type="SecureString")


def test_secrets_are_read_from_parameter_store(prefix, monkeypatch):
    put(f"{prefix}/stripe-secret-key", "sk_test_from_ssm")
    put(f"{prefix}/site-secret", "s3cr3t")
    monkeypatch.setenv("STRIPE_SECRET_KEY_PARAM", f"{prefix}/stripe-secret-key")
    monkeypatch.setenv("CAGNOTTE_SECRET_PARAM", f"{prefix}/site-secret")
    calls = []
    real = runtime_module.read_parameters
    monkeypatch.setattr(runtime_module, "read_parameters", lambda names: calls.append(names) or real(names))
    runtime = Runtime.from_environment()
    assert (runtime.stripe_key, runtime.secret, runtime.webhook_secret) == ("sk_test_from_ssm", "s3cr3t", None)
    assert calls == [sorted([f"{prefix}/site-secret", f"{prefix}/stripe-secret-key"])]  # one call for all


def test_a_variable_set_directly_wins_and_needs_no_call(prefix, monkeypatch):
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_direct")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET_PARAM", f"{prefix}/never-read")
    monkeypatch.setattr(runtime_module, "read_parameters", lambda names: pytest.fail("no SSM call expected"))
    assert Runtime.from_environment().webhook_secret == "whsec_direct"


def test_a_missing_parameter_is_a_503_not_a_crash(prefix, monkeypatch):
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET_PARAM", f"{prefix}/stripe-webhook-secret")
    with pytest.raises(Unavailable, match="no parameter .*stripe-webhook-secret"):
        Runtime.from_environment()
    from functions.handlers import webhook
    from functions.http import event_from

    runtime_module.install(None)
    try:
        response = webhook.handler(event_from("POST", "/api/stripe/webhook", {"stripe-signature": "t=1,v1=x"}, b"{}"))
    finally:
        runtime_module.install(None)
    assert response["statusCode"] == 503
    assert json.loads(response["body"])["error"]["code"] == "unavailable"

"""The foundation's main flow through `make run`'s stack, over HTTP."""

from __future__ import annotations

import pytest

from tests.api.conftest import tenant_body

pytestmark = pytest.mark.e2e


def test_health_and_openapi_are_served(stack):
    assert stack.call("GET", "/v1/health").json() == {"status": "ok"}
    document = stack.call("GET", "/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert "/v1/tenants" in document["paths"]


def test_the_demo_tenant_is_ready_with_its_key(stack):
    answer = stack.call("GET", "/v1/tenant", stack.demo_key)
    assert answer.status_code == 200
    assert answer.json()["id"] == stack.demo_tenant_id


def test_onboarding_events_reach_the_bus_and_the_welcome_email_is_sent(stack):
    created = stack.call("POST", "/v1/tenants", stack.admin_key, tenant_body(cnpj="45723174000110"))
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]

    def published():
        events = stack.call("GET", "/v1/events", key).json()["data"]
        types = {e["type"] for e in events if e["published_at"]}
        return types >= {"tenant.created", "api_key.created"}

    stack.wait_for(published)

    def welcomed():
        sent = stack.call("GET", "/v1/notifications", key).json()["data"]
        return [n for n in sent if n["template"] == "welcome"]

    assert stack.wait_for(welcomed)[0]["to"] == "financeiro@loja.example.com"


def test_a_revoked_key_fails_on_its_next_request(stack):
    created = stack.call("POST", "/v1/api-keys", stack.demo_key, {"name": "temp", "scopes": ["catalog:read"]})
    assert created.status_code == 201, created.text
    secret, key_id = created.json()["key"], created.json()["id"]
    assert stack.call("GET", "/v1/events", secret).status_code == 403
    assert stack.call("DELETE", f"/v1/api-keys/{key_id}", stack.demo_key).status_code == 200
    denied = stack.call("GET", "/v1/events", secret)
    assert denied.status_code == 401
    assert denied.headers["Content-Type"] == "application/problem+json"
    assert denied.json()["code"] == "unauthenticated"


def test_bad_input_gets_problem_json_and_never_500(stack):
    cases = [
        ("POST", "/v1/tenants", stack.admin_key, None, b"{not json"),
        ("POST", "/v1/tenants", stack.admin_key, {"name": 1}, None),
        ("GET", "/v1/tenant", None, None, None),
        ("GET", "/v1/tenant", "rtg_test_unknown", None, None),
        ("GET", "/v1/nowhere", stack.demo_key, None, None),
        ("POST", "/v1/api-keys", stack.demo_key, {"name": "x", "scopes": ["everything"]}, None),
        ("GET", "/v1/api-keys?limit=0", stack.demo_key, None, None),
    ]
    for method, path, key, body, data in cases:
        answer = stack.call(method, path, key, body, headers={"Content-Type": "application/json"}, data=data)
        assert 400 <= answer.status_code < 500, (path, answer.status_code, answer.text)
        assert answer.headers["Content-Type"] == "application/problem+json", (path, answer.headers)
        assert "Traceback" not in answer.text


def test_concurrent_posts_with_one_idempotency_key_create_one_key(stack):
    from concurrent.futures import ThreadPoolExecutor

    def post(_):
        return stack.call("POST", "/v1/api-keys", stack.demo_key, {"name": "once", "scopes": ["orders:read"]},
                          headers={"Idempotency-Key": "e2e-once"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(post, range(8)))
    assert {a.status_code for a in answers} <= {201, 409}
    created = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(created) == 1
    keys = stack.call("GET", "/v1/api-keys?limit=100", stack.demo_key).json()["data"]
    assert len([k for k in keys if k["name"] == "once"]) == 1

"""Hostile input anywhere in the API: odd path parameters and bodies are 4xx, never a 500."""

import json

import pytest

from tests.api.test_catalog import call


@pytest.mark.parametrize(
    "path",
    [
        "/v1/products/a%23b",
        "/v1/stock/a%23b",
        "/v1/customers/x%23y",
        "/v1/orders/ord%23x",
        "/v1/invoices/inv%23",
        "/v1/charges/chg%23",
        "/v1/events/evt%23",
        "/v1/api-keys/key%23",
        "/v1/products/%F0%9F%98%80",
        "/v1/stock/movements?sku=a%23b",
        "/v1/products/" + "x" * 300,
        "/v1/customers?document=abc",
        "/v1/stock?below_minimum=maybe",
    ],
)
def test_odd_path_parameters_are_never_a_server_error(http, tenant, path):
    method = "DELETE" if "api-keys" in path else "GET"
    status, body = call(http, tenant, method, path)
    assert status < 500, (path, status, body)


def test_separators_control_characters_and_huge_values_in_bodies_are_4xx(http, tenant):
    for body in (
        {"sku": "a#b", "name": "x", "price_cents": 1, "ncm": "09012100"},
        {"sku": "ok", "name": "x" * 5000, "price_cents": 1, "ncm": "09012100"},
        {"sku": "ok2", "name": "x", "price_cents": 10**20, "ncm": "09012100"},
        {"sku": "ok3", "name": "\u0000\u0001", "price_cents": 1, "ncm": "09012100"},
    ):
        status, problem = call(http, tenant, "POST", "/v1/products", body)
        assert 400 <= status < 500, (body, status, problem)
    status, problem = call(http, tenant, "POST", "/v1/stock/movements", {"sku": "a#b", "type": "receipt", "quantity": 1})
    assert 400 <= status < 500, problem
    status, problem = call(
        http, tenant, "POST", "/v1/stock/movements", {"sku": "ok", "type": "receipt", "quantity": 1, "warehouse": "a#b"}
    )
    assert 400 <= status < 500, problem
    status, problem = call(
        http,
        tenant,
        "POST",
        "/v1/orders",
        {"customer_id": "cus_01ARZ3NDEKTSV4RRFFQ69G5FAV", "lines": [{"sku": "a#b", "quantity": 1}], "payment": {"method": "pix"}},
    )
    assert 400 <= status < 500, problem
    status, problem = call(
        http,
        tenant,
        "POST",
        "/v1/charges",
        {
            "customer_id": "cus_01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "amount_cents": 100,
            "due_date": "2099-01-01",
            "method": "pix",
            "description": "x",
        },
    )
    assert 400 <= status < 500, problem


DEEP_ARRAY = b"[" * 1000 + b"]" * 1000
DEEP_INSIDE_AN_OBJECT = b'{"notes": ' + b"[" * 500 + b"]" * 500 + b"}"  # parses, but nests past the limit


DEEP_BODIES = [DEEP_ARRAY, b"[" * 100_000, DEEP_INSIDE_AN_OBJECT, b'{"a":' * 900 + b"1" + b"}" * 900]


@pytest.mark.parametrize(
    ("method", "path", "admin"),
    [
        ("POST", "/v1/tenants", True),
        ("PATCH", "/v1/tenant/settings", False),
        ("POST", "/v1/orders", False),
        ("POST", "/v1/stock/movements", False),
        ("POST", "/v1/products", False),
        ("POST", "/v1/psp/local/webhooks", False),
    ],
)
def test_deeply_nested_json_is_a_400_on_body_for_every_route(http, tenant, method, path, admin):
    from tests.conftest import ADMIN

    headers = ADMIN if admin else tenant["headers"]
    for n, raw in enumerate(DEEP_BODIES):
        answer = http.request(method, path, raw=raw, headers={**headers, "Idempotency-Key": f"deep-{n}"})
        assert answer.status_code == 400, (raw[:20], answer.body)
        problem = json.loads(answer.body)
        assert problem["code"] == "invalid_request" and [e["field"] for e in problem["errors"]] == ["body"]


def test_a_body_nested_up_to_the_limit_is_judged_on_its_fields():
    from chalicelib.platform.http import MAX_JSON_DEPTH, json_depth

    assert json_depth(1) == 0 and json_depth([]) == 1 and json_depth({"a": [{"b": []}]}) == 4
    deepest_allowed: object = []
    for _ in range(MAX_JSON_DEPTH - 1):
        deepest_allowed = [deepest_allowed]
    assert json_depth(deepest_allowed) == MAX_JSON_DEPTH


@pytest.mark.parametrize(("method", "path", "body", "field"), [
    ("POST", "/v1/api-keys", {"name": "erp\u0000", "scopes": ["*"]}, "name"),
    ("PUT", "/v1/psp/asaas/credentials", {"api_key": "$aact_" + "x" * 20 + "\u0000"}, "api_key"),
    ("PATCH", "/v1/tenant/settings", {"invoicing": {"series": True}}, "invoicing.series"),
    ("PATCH", "/v1/tenant/settings", {"invoicing": {"series": "1"}}, "invoicing.series"),
    ("POST", "/v1/invoice-number-voids", {"series": 1, "first_number": "100", "last_number": 101,
                                          "reason": "Numeração pulada no sistema"}, "first_number"),
])
def test_control_characters_and_coerced_numbers_are_refused(http, tenant, method, path, body, field):
    status, problem = call(http, tenant, method, path, body)
    assert status == 400 and field in {e["field"] for e in problem["errors"]}, problem


def test_an_address_number_or_order_notes_refuse_control_characters(http, tenant):
    from tests.api.test_catalog import ADDRESS, customer_body

    status, problem = call(http, tenant, "POST", "/v1/customers",
                           customer_body(address={**ADDRESS, "number": "12\u0007"}))
    assert status == 400 and "address.number" in {e["field"] for e in problem["errors"]}, problem

"""Hostile input anywhere in the API: odd path parameters and bodies are 4xx, never a 500."""

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

"""Customers and products through the HTTP edge (moto)."""

from __future__ import annotations

import json
from typing import Any

CPF = "52998224725"
CNPJ = "45723174000110"
ADDRESS = {"street": "Rua Augusta", "number": "500", "district": "Consolação", "city": "São Paulo",
           "city_code": "3550308", "state": "SP", "zip": "01305000"}


def customer_body(**overrides: Any) -> dict[str, Any]:
    body = {"name": "Maria da Silva", "document": CPF, "email": "maria@example.com", "phone": "5511987654321",
            "address": ADDRESS}
    body.update(overrides)
    return body


def product_body(**overrides: Any) -> dict[str, Any]:
    body = {"sku": "CAFE-500G", "name": "Café torrado 500 g", "unit": "UN", "price_cents": 2590, "cost_cents": 1400,
            "ncm": "09012100", "cfop": "5102", "origin": 0, "gtin": "7891000315507", "min_stock": 5}
    body.update(overrides)
    return body


def call(http, tenant, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    answer = http.request(method, path, body, tenant["headers"])
    return answer.status_code, json.loads(answer.body) if answer.body else None


def fields(problem: dict[str, Any]) -> set[str]:
    return {e["field"] for e in problem["errors"]}


def test_a_customer_is_created_read_listed_and_patched(http, tenant):
    status, created = call(http, tenant, "POST", "/v1/customers", customer_body())
    assert status == 201, created
    assert created["id"].startswith("cus_") and created["document_type"] == "cpf"
    status, read = call(http, tenant, "GET", f"/v1/customers/{created['id']}")
    assert status == 200 and read == created
    status, patched = call(http, tenant, "PATCH", f"/v1/customers/{created['id']}",
                           {"name": "Maria S. Souza", "document": CNPJ, "phone": None})
    assert status == 200, patched
    assert (patched["name"], patched["document"], patched["document_type"], patched["phone"]) == (
        "Maria S. Souza", CNPJ, "cnpj", None)
    status, listed = call(http, tenant, "GET", "/v1/customers")
    assert [c["id"] for c in listed["data"]] == [created["id"]]
    status, found = call(http, tenant, "GET", f"/v1/customers?document={CNPJ}")
    assert [c["id"] for c in found["data"]] == [created["id"]]


def test_a_document_belongs_to_one_customer_per_tenant(http, tenant):
    first = call(http, tenant, "POST", "/v1/customers", customer_body())[1]
    status, problem = call(http, tenant, "POST", "/v1/customers", customer_body(name="Outra Maria"))
    assert status == 409 and problem["code"] == "conflict" and fields(problem) == {"document"}
    other = call(http, tenant, "POST", "/v1/customers", customer_body(document=CNPJ))[1]
    status, problem = call(http, tenant, "PATCH", f"/v1/customers/{other['id']}", {"document": CPF})
    assert status == 409 and problem["code"] == "conflict"
    # The freed document can be claimed again once its customer moves to another one.
    assert call(http, tenant, "PATCH", f"/v1/customers/{first['id']}", {"document": "11144477735"})[0] == 200
    assert call(http, tenant, "PATCH", f"/v1/customers/{other['id']}", {"document": CPF})[0] == 200


BAD_CUSTOMER_FIELDS = [
    ({"document": "52998224724"}, "document"),  # wrong check digit
    ({"document": "11111111111"}, "document"),  # all the same digit
    ({"document": "00000000000000"}, "document"),
    ({"document": "5299822472"}, "document"),
    ({"document": 52998224725}, "document"),
    ({"address": {**ADDRESS, "zip": "0130500"}}, "address.zip"),
    ({"address": {**ADDRESS, "city_code": "3304557"}}, "address.city_code"),  # Rio's code in SP
    ({"address": {**ADDRESS, "state": "XX"}}, "address.state"),
    ({"email": "not-an-email"}, "email"),
    ({"phone": "12"}, "phone"),
    ({"tenant_id": "ten_x"}, "tenant_id"),
]


def test_every_bad_customer_field_is_named_and_nothing_is_written(http, tenant):
    for overrides, field in BAD_CUSTOMER_FIELDS:
        status, problem = call(http, tenant, "POST", "/v1/customers", customer_body(**overrides))
        assert (status, problem["code"], field in fields(problem)) == (400, "invalid_request", True), overrides
    assert call(http, tenant, "GET", "/v1/customers")[1]["data"] == []


def test_a_malformed_or_foreign_customer_id_is_not_found(http, tenant):
    assert call(http, tenant, "GET", "/v1/customers/nope")[0] == 404
    assert call(http, tenant, "GET", "/v1/customers/cus_01J00000000000000000000000")[0] == 404
    assert call(http, tenant, "PATCH", "/v1/customers/nope", {"name": "X Y"})[0] == 404


def test_customers_list_with_a_cursor(http, tenant):
    ids = [call(http, tenant, "POST", "/v1/customers", customer_body(document=doc))[1]["id"]
           for doc in (CPF, CNPJ, "11144477735")]
    first = call(http, tenant, "GET", "/v1/customers?limit=2")[1]
    second = call(http, tenant, "GET", f"/v1/customers?limit=2&cursor={first['next_cursor']}")[1]
    assert [c["id"] for c in first["data"] + second["data"]] == ids[::-1]
    assert second["next_cursor"] is None


def test_a_product_is_created_read_listed_and_patched(http, tenant):
    status, created = call(http, tenant, "POST", "/v1/products", product_body())
    assert status == 201, created
    assert call(http, tenant, "GET", "/v1/products/CAFE-500G") == (200, created)
    status, patched = call(http, tenant, "PATCH", "/v1/products/CAFE-500G", {"price_cents": 2790, "gtin": None})
    assert status == 200 and patched["price_cents"] == 2790 and patched["gtin"] is None
    call(http, tenant, "POST", "/v1/products", product_body(sku="ACUCAR-1KG"))
    listed = call(http, tenant, "GET", "/v1/products")[1]
    assert [p["sku"] for p in listed["data"]] == ["ACUCAR-1KG", "CAFE-500G"]


def test_a_sku_is_unique_per_tenant(http, tenant):
    assert call(http, tenant, "POST", "/v1/products", product_body())[0] == 201
    status, problem = call(http, tenant, "POST", "/v1/products", product_body(name="Outro"))
    assert status == 409 and problem["code"] == "conflict" and fields(problem) == {"sku"}


BAD_PRODUCT_FIELDS = [
    ({"price_cents": 25.9}, "price_cents"),  # money is integer centavos
    ({"price_cents": "2590"}, "price_cents"),
    ({"price_cents": -1}, "price_cents"),
    ({"price_cents": 10**15}, "price_cents"),
    ({"cost_cents": 1.0}, "cost_cents"),
    ({"ncm": "0901210"}, "ncm"),
    ({"cfop": "51020"}, "cfop"),
    ({"origin": 9}, "origin"),
    ({"gtin": "7891000315508"}, "gtin"),
    ({"min_stock": 10**12}, "min_stock"),
    ({"min_stock": -1}, "min_stock"),
    ({"sku": "A#B"}, "sku"),
    ({"sku": "a/b"}, "sku"),
    ({"sku": "movements"}, "sku"),
    ({"sku": ""}, "sku"),
]


def test_every_bad_product_field_is_named_and_nothing_is_written(http, tenant):
    for overrides, field in BAD_PRODUCT_FIELDS:
        status, problem = call(http, tenant, "POST", "/v1/products", product_body(**overrides))
        assert (status, problem["code"], field in fields(problem)) == (400, "invalid_request", True), overrides
    assert call(http, tenant, "GET", "/v1/products")[1]["data"] == []
    assert call(http, tenant, "GET", "/v1/stock")[1]["data"] == []


def test_a_product_patch_cannot_change_the_sku_or_null_a_required_field(http, tenant):
    call(http, tenant, "POST", "/v1/products", product_body())
    status, problem = call(http, tenant, "PATCH", "/v1/products/CAFE-500G", {"sku": "OTHER"})
    assert status == 400 and fields(problem) == {"sku"}
    status, problem = call(http, tenant, "PATCH", "/v1/products/CAFE-500G", {"price_cents": None})
    assert status == 400 and fields(problem) == {"price_cents"}
    assert call(http, tenant, "PATCH", "/v1/products/NOPE", {"name": "x"})[0] == 404


def test_catalog_scopes_are_enforced(http, tenant):
    key = call(http, tenant, "POST", "/v1/api-keys", {"name": "ro", "scopes": ["catalog:read"]})[1]["key"]
    reader = {"headers": {"Authorization": f"Bearer {key}"}}
    assert call(http, reader, "GET", "/v1/products")[0] == 200
    assert call(http, reader, "POST", "/v1/products", product_body())[0] == 403


def test_another_tenants_customer_answers_404(http, tenant):
    from tests.api.conftest import tenant_body
    from tests.conftest import ADMIN

    created = call(http, tenant, "POST", "/v1/customers", customer_body())[1]
    other = json.loads(http.request("POST", "/v1/tenants", tenant_body(cnpj="11444777000161"), ADMIN).body)
    other["headers"] = {"Authorization": f"Bearer {other['api_key']}"}
    assert call(http, other, "GET", f"/v1/customers/{created['id']}")[0] == 404
    # ... and the same document is free in the other tenant.
    assert call(http, other, "POST", "/v1/customers", customer_body())[0] == 201

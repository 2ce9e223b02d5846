"""Suppliers through the API: created, read, found by document, listed and patched; a document belongs to
one supplier per tenant (a customer may share it); bad fields named; another tenant's supplier is 404."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_catalog import call, customer_body, fields

CNPJ_SUPPLIER = "45723174000110"


def supplier_body(**overrides: Any) -> dict[str, Any]:
    body = {"name": "Distribuidora Exemplo LTDA", "document": CNPJ_SUPPLIER, "email": "vendas@dist.example.com",
            "phone": "551133334444", "address": customer_body()["address"]}
    body.update(overrides)
    return body


def test_a_supplier_is_created_found_listed_and_patched(http, tenant):
    status, made = call(http, tenant, "POST", "/v1/suppliers", supplier_body())
    assert status == 201 and made["id"].startswith("sup_") and made["document_type"] == "cnpj", made
    assert call(http, tenant, "GET", f"/v1/suppliers/{made['id']}") == (200, made)
    assert call(http, tenant, "GET", f"/v1/suppliers?document={CNPJ_SUPPLIER}")[1]["data"] == [made]
    assert call(http, tenant, "GET", "/v1/suppliers?document=11144477735")[1]["data"] == []
    status, patched = call(http, tenant, "PATCH", f"/v1/suppliers/{made['id']}", {"phone": None, "name": "Dist Nova"})
    assert status == 200 and (patched["phone"], patched["name"]) == (None, "Dist Nova")
    events = call(http, tenant, "GET", "/v1/events?type=supplier.created")[1]["data"]
    assert [e["data"]["supplier"]["id"] for e in events] == [made["id"]]
    status, bare = call(http, tenant, "POST", "/v1/suppliers", {"name": "Fulano MEI", "document": "52998224725"})
    assert status == 201 and bare["address"] is None
    assert [s["id"] for s in call(http, tenant, "GET", "/v1/suppliers?limit=1")[1]["data"]] == [bare["id"]]


def test_a_document_belongs_to_one_supplier_and_may_be_a_customers_too(http, tenant):
    assert call(http, tenant, "POST", "/v1/suppliers", supplier_body())[0] == 201
    status, problem = call(http, tenant, "POST", "/v1/suppliers", supplier_body(name="Outra"))
    assert (status, problem["code"], fields(problem)) == (409, "conflict", {"document"})
    assert call(http, tenant, "POST", "/v1/customers", customer_body(document=CNPJ_SUPPLIER))[0] == 201
    status, other = call(http, tenant, "POST", "/v1/suppliers", supplier_body(document="11222333000181"))
    assert call(http, tenant, "PATCH", f"/v1/suppliers/{other['id']}", {"document": CNPJ_SUPPLIER})[0] == 409
    assert call(http, tenant, "PATCH", f"/v1/suppliers/{other['id']}", {"document": "06990590000123"})[0] == 200
    assert call(http, tenant, "POST", "/v1/suppliers", supplier_body(document="11222333000181"))[0] == 201


@pytest.mark.parametrize("mutate, field", [
    (lambda b: b.update(document="11111111111111"), "document"),
    (lambda b: b.update(document="123"), "document"),
    (lambda b: b.update(name=""), "name"),
    (lambda b: b.update(email="nope"), "email"),
    (lambda b: b.update(extra=1), "extra"),
    (lambda b: b.pop("document"), "document"),
])
def test_bad_suppliers_are_400_naming_the_field(http, tenant, mutate, field):
    body = supplier_body()
    mutate(body)
    status, problem = call(http, tenant, "POST", "/v1/suppliers", body)
    assert status == 400 and field in fields(problem), problem
    assert call(http, tenant, "GET", "/v1/suppliers")[1]["data"] == []


def test_unknown_malformed_and_foreign_suppliers_are_404(http, tenant):
    from tests.api.conftest import tenant_body
    from tests.conftest import ADMIN

    made = call(http, tenant, "POST", "/v1/suppliers", supplier_body())[1]
    assert call(http, tenant, "GET", "/v1/suppliers/sup_01ARZ3NDEKTSV4RRFFQ69G5FAV")[0] == 404
    assert call(http, tenant, "GET", "/v1/suppliers/cus_x")[0] == 404
    assert call(http, tenant, "PATCH", "/v1/suppliers/nope", {"name": "X Y"})[0] == 404
    import json

    other = json.loads(http.request("POST", "/v1/tenants", tenant_body(cnpj="45997418000153"), ADMIN).body)
    other["headers"] = {"Authorization": f"Bearer {other['api_key']}"}
    assert call(http, other, "GET", f"/v1/suppliers/{made['id']}")[0] == 404

"""Purchasing's behaviour over the in-memory table, moto and DynamoDB Local: purchase orders and inbound
invoices listed by status and supplier; one inbound invoice per access key even when the same NF-e arrives
six times at once; what the tenant learned of a supplier's codes (codes with '#' included); and the
catalog's GTIN index the lines are matched through."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from chalicelib.catalog import service as catalog
from chalicelib.platform.dynamo import UnitOfWork
from chalicelib.purchasing import service
from tests.api.test_catalog import product_body
from tests.api.test_suppliers import supplier_body
from tests.deps import root
from tests.integration.repo_helpers import event_types, new_tenant, read_all
from tests.integration.test_stock_concurrency import run_concurrently
from tests.supplier_nfe import supplier_nfe

TENANT_CNPJ = "11222333000181"


class MemoryDocuments:
    def __init__(self) -> None:
        self.stored: dict[tuple[str, str, str], bytes] = {}

    def put(self, tenant_id: str, invoice_id: str, name: str, body: bytes, content_type: str) -> str:
        self.stored[(tenant_id, invoice_id, name)] = body
        return name

    def get(self, tenant_id: str, invoice_id: str, name: str) -> bytes:
        return self.stored[(tenant_id, invoice_id, name)]


def deps() -> service.PurchasingDeps:
    return dataclasses.replace(root().purchasing, documents=MemoryDocuments())


def test_orders_are_listed_by_status_and_supplier(store):
    tenant = new_tenant(TENANT_CNPJ)
    for sku in ("A-1", "B-2"):
        catalog.create_product(tenant, product_body(sku=sku, gtin=None), root().catalog)
    one = catalog.create_supplier(tenant, supplier_body(), root().catalog).id
    two = catalog.create_supplier(tenant, supplier_body(document="11444777000161"), root().catalog).id
    d = deps()
    made = [service.create_purchase_order(tenant, service.NewPurchaseOrder(supplier_id=s, lines=[("A-1", 2, 100)]), d)
            for s in (one, two, one)]
    service.cancel_purchase_order(tenant, made[0].id, d)
    assert [o.id for o in read_all(lambda n, c: d.repo.list_orders(tenant, "open", None, n, c), 1)] == [
        made[2].id, made[1].id]
    assert [o.id for o in read_all(lambda n, c: d.repo.list_orders(tenant, None, one, n, c), 1)] == [
        made[2].id, made[0].id]
    assert event_types(tenant).count("purchase_order.created") == 3


def test_the_same_nfe_six_times_at_once_is_one_inbound_invoice(store):
    if store == "moto":
        pytest.skip("moto's in-process DynamoDB does not serialize conditional writes across threads")
    tenant = new_tenant(TENANT_CNPJ)
    d = deps()
    raw = supplier_nfe(TENANT_CNPJ)
    ids: list[str] = []

    def take(_: int) -> str:
        intake = service.receive_invoice(tenant, raw, d)
        ids.append(intake.invoice.id)
        return "created" if intake.created else "again"

    outcomes = run_concurrently(6, take)
    assert outcomes["created"] == 1 and outcomes["again"] == 5, outcomes
    assert len(set(ids)) == 1
    assert [i.id for i in read_all(lambda n, c: d.repo.list_invoices(tenant, "received", None, n, c), 2)] == ids[:1]
    assert event_types(tenant).count("inbound_invoice.received") == 1
    assert len(read_all(lambda n, c: root().catalog_repository.list_suppliers(tenant, n, c), 5)) == 1


def test_what_is_learned_of_a_suppliers_codes_matches_the_next_nfe(store):
    tenant = new_tenant(TENANT_CNPJ)
    d = deps()
    supplier = catalog.create_supplier(tenant, supplier_body(), root().catalog).id
    uow = UnitOfWork()
    d.repo.stage_learned(uow, tenant, supplier, "FLT-103", "FILTRO", Decimal(30))
    d.repo.stage_learned(uow, tenant, supplier, "A#B/1", "ODD", Decimal("0.5"))
    uow.commit()
    assert d.repo.learned(tenant, supplier, ["FLT-103", "A#B/1", "unknown"]) == {
        "FLT-103": ("FILTRO", Decimal(30)), "A#B/1": ("ODD", Decimal("0.5"))}
    invoice = service.receive_invoice(tenant, supplier_nfe(TENANT_CNPJ), d).invoice
    matched = {line.supplier_code: (line.sku, line.factor, line.matched_by) for line in invoice.lines}
    assert matched["FLT-103"] == ("FILTRO", Decimal(30), "learned") and matched["CAN-PORC"] == (None, 1, None)


def test_the_catalogs_gtin_index_follows_the_product(store):
    tenant = new_tenant(TENANT_CNPJ)
    repo = root().catalog_repository
    catalog.create_product(tenant, product_body(sku="WITH", gtin="7891234567895"), root().catalog)
    catalog.create_product(tenant, product_body(sku="NONE", gtin="SEM GTIN"), root().catalog)
    assert repo.skus_by_gtin(tenant, "7891234567895") == ["WITH"]
    catalog.update_product(tenant, "WITH", {"gtin": "7891000315507"}, root().catalog)
    assert repo.skus_by_gtin(tenant, "7891234567895") == []
    assert repo.skus_by_gtin(tenant, "7891000315507") == ["WITH"]
    catalog.update_product(tenant, "WITH", {"gtin": None}, root().catalog)
    assert repo.skus_by_gtin(tenant, "7891000315507") == []


def test_accepted_once_and_its_steps_done_once_under_concurrency_and_redelivery(store):
    if store == "moto":
        pytest.skip("moto's in-process DynamoDB does not serialize conditional writes across threads")
    tenant = new_tenant(TENANT_CNPJ)
    for sku in ("CAFE", "FILTRO", "CANECA"):
        catalog.create_product(tenant, product_body(sku=sku, gtin=None, min_stock=0), root().catalog)
    d = deps()
    invoice = service.receive_invoice(tenant, supplier_nfe(TENANT_CNPJ), d).invoice
    cmd = service.AcceptCommand(lines=tuple(service.LineChoice(item=n, sku=sku) for n, sku in
                                            enumerate(("CAFE", "FILTRO", "CANECA"), start=1)))
    outcomes = run_concurrently(6, lambda _: service.accept_invoice(tenant, invoice.id, cmd, d).status)
    assert outcomes == {"accepted": 1, "invalid_state": 5}, outcomes
    done = run_concurrently(4, lambda _: ",".join(service.advance(tenant, invoice.id, d).acceptance.steps_done))
    assert set(done) == {"stock:0,payables,purchase_order,learned,sources,manifest"}, done
    service.advance(tenant, invoice.id, d)  # a redelivery
    levels = root().stock_repository.get_levels(tenant, ["CAFE", "FILTRO", "CANECA"])
    assert [levels[sku].on_hand for sku in ("CAFE", "FILTRO", "CANECA")] == [24, 10, 12]
    bills = read_all(lambda n, c: root().payables.repo.list(tenant, None, invoice.supplier_id, None, n, c), 5)
    assert sorted(b.installment for b in bills) == [1, 2]
    assert event_types(tenant).count("inbound_invoice.accepted") == 1

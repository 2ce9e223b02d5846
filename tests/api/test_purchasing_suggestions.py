"""Reorder suggestions through the API: below min_stock, or running out within the supplier's lead time at
the last 30 days' shipments, less what is on order; the quantity covers the lead time and 30 more days."""

from __future__ import annotations

from datetime import timedelta

from tests.api.test_catalog import call, product_body
from tests.api.test_inbound_acceptance import accept, run_queue
from tests.api.test_inbound_invoices import TENANT_CNPJ, post_xml
from tests.supplier_nfe import supplier_nfe


def receive(http, tenant, sku: str, quantity: int) -> None:
    status, body = call(http, tenant, "POST", "/v1/stock/movements", {"sku": sku, "type": "receipt",
                                                                      "quantity": quantity})
    assert status == 201, body


def ship(tenant, sku: str, quantity: int, days_ago: int) -> None:
    """An order's shipment `days_ago` (what the orders context does when an order ships)."""
    from chalicelib.platform.clock import FixedClock
    from chalicelib.platform.dynamo import UnitOfWork
    from chalicelib.stock import service as stock
    from chalicelib.stock.model import StockLine
    from tests.clock import app_now
    from tests.deps import root, use

    now = app_now()
    use(clock=FixedClock(now - timedelta(days=days_ago)))
    from uuid import uuid4

    reservation = f"ord_{uuid4().hex}"
    uow = UnitOfWork()
    stock.reserve_stock(uow, tenant["id"], reservation, [StockLine(sku=sku, quantity=quantity)], root().stock)
    uow.commit()
    uow = UnitOfWork()
    stock.ship_reservation(uow, tenant["id"], reservation, root().stock)
    uow.commit()
    use(clock=FixedClock(now))


def test_what_to_reorder_and_how_much(http, tenant):
    for sku, min_stock in (("CAFE-TRAD", 0), ("FILTRO-UN", 40), ("CANECA", 0), ("CHALEIRA", 0)):
        assert call(http, tenant, "POST", "/v1/products", product_body(sku=sku, gtin=None, min_stock=min_stock))[0] == 201
    # The coffee came from the supplier (its last NF-e): the supplier says it delivers in 10 days.
    _, invoice = post_xml(http, tenant, supplier_nfe(TENANT_CNPJ))
    call(http, tenant, "PATCH", f"/v1/suppliers/{invoice['supplier_id']}", {"lead_time_days": 10})
    accept(http, tenant, invoice["id"], lines=[{"item": 1, "sku": "CAFE-TRAD"}, {"item": 2, "sku": "FILTRO-UN"},
                                               {"item": 3, "sku": "CANECA"}])
    run_queue(http, tenant)  # stock: 24 coffee, 10 filters, 12 mugs
    receive(http, tenant, "CHALEIRA", 100)
    ship(tenant, "CAFE-TRAD", 12, days_ago=5)   # 12 in 30 days: 0.4 a day; 12 left = 30 days of cover
    ship(tenant, "CANECA", 10, days_ago=3)      # 1/3 a day; 2 left = 6 days, inside the 10-day lead time
    ship(tenant, "CHALEIRA", 60, days_ago=2)    # 2 a day; 40 left = 20 days: more than the default 7
    status, body = call(http, tenant, "GET", "/v1/purchasing/suggestions")
    assert status == 200, body
    by_sku = {s["sku"]: s for s in body["data"]}
    assert set(by_sku) == {"FILTRO-UN", "CANECA"}, body
    filters = by_sku["FILTRO-UN"]  # 10 < min_stock 40, no sales: 40 − 10
    assert (filters["reason"], filters["suggested_quantity"], filters["supplier_id"], filters["lead_time_days"]) == (
        "below_min_stock", 30, invoice["supplier_id"], 10)
    mugs = by_sku["CANECA"]  # ceil(1/3 × (10 + 30)) = 14 to cover, 2 on hand
    assert (mugs["reason"], mugs["days_of_cover"], mugs["daily_sales"], mugs["suggested_quantity"]) == (
        "runs_out_within_lead_time", 6.0, 0.333, 12)
    assert (mugs["unit_cost_cents"], mugs["available"], mugs["on_order"]) == (2290, 2, 0)
    # An open purchase order counts as coming: the filters are covered.
    call(http, tenant, "POST", "/v1/purchase-orders", {"supplier_id": invoice["supplier_id"], "lines": [
        {"sku": "FILTRO-UN", "quantity": 30, "unit_cost_cents": 45}]})
    assert "FILTRO-UN" not in {s["sku"] for s in call(http, tenant, "GET", "/v1/purchasing/suggestions")[1]["data"]}

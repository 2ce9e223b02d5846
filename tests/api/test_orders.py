"""Orders through the HTTP edge: placement with atomic reservation, the lifecycle, and the
reactions to invoicing and collections events (synthetic until those contexts exist)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.test_catalog import call, customer_body, fields, product_body
from tests.api.test_stock import assert_stock_invariants
from tests.clock import app_now


@pytest.fixture
def shop(http, tenant) -> dict[str, Any]:
    """A tenant with a customer and two products in stock (CAFE 10 units, ACUCAR 3)."""
    customer = call(http, tenant, "POST", "/v1/customers", customer_body())[1]
    call(http, tenant, "POST", "/v1/products", product_body(min_stock=0))
    call(http, tenant, "POST", "/v1/products", product_body(sku="ACUCAR-1KG", name="Açúcar 1 kg", price_cents=649,
                                                             gtin=None, min_stock=0))
    for sku, quantity in (("CAFE-500G", 10), ("ACUCAR-1KG", 3)):
        assert call(http, tenant, "POST", "/v1/stock/movements", {"sku": sku, "type": "receipt",
                                                                  "quantity": quantity})[0] == 201
    return {"customer_id": customer["id"]}


def order_body(shop: dict[str, Any], lines: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"customer_id": shop["customer_id"],
            "lines": lines or [{"sku": "CAFE-500G", "quantity": 2}, {"sku": "ACUCAR-1KG", "quantity": 1,
                                                                      "unit_price_cents": 600}],
            "payment": {"method": "boleto", "installments": 2}, "shipping_cents": 1500, **extra}


def level(http, tenant, sku: str) -> tuple[int, int, int]:
    data = call(http, tenant, "GET", f"/v1/stock/{sku}")[1]
    return data["on_hand"], data["reserved"], data["available"]


def place(http, tenant, shop, **kw: Any) -> dict[str, Any]:
    status, order = call(http, tenant, "POST", "/v1/orders", order_body(shop, **kw))
    assert status == 201, order
    return order


def invoicing_off(http, tenant) -> None:
    assert call(http, tenant, "PATCH", "/v1/tenant/settings", {"invoicing": {"enabled": False}})[0] == 200


def deliver_event(handler_name: str, event_type: str, tenant: dict[str, Any], data: dict[str, Any],
                  event_id: str) -> dict[str, Any]:
    import app
    from chalicelib.platform.clock import rfc3339

    envelope = {"id": event_id, "type": event_type, "tenant_id": tenant["id"],
                "occurred_at": rfc3339(app_now()), "data": data}
    message = {"messageId": event_id, "body": json.dumps({"detail-type": event_type, "detail": envelope})}
    return getattr(app, handler_name)({"Records": [message]}, None)


def test_an_order_is_priced_reserved_and_confirmed_in_one_step(http, tenant, shop):
    order = place(http, tenant, shop)
    assert order["id"].startswith("ord_") and order["status"] == "confirmed" and order["payment_status"] == "pending"
    assert [(ln["sku"], ln["unit_price_cents"], ln["total_cents"]) for ln in order["lines"]] == [
        ("CAFE-500G", 2590, 5180), ("ACUCAR-1KG", 600, 600)]
    assert (order["products_cents"], order["shipping_cents"], order["total_cents"]) == (5780, 1500, 7280)
    assert [t["type"] for t in order["timeline"]] == ["order.confirmed"]
    assert level(http, tenant, "CAFE-500G") == (10, 2, 8)
    assert level(http, tenant, "ACUCAR-1KG") == (3, 1, 2)
    confirmed = call(http, tenant, "GET", "/v1/events?type=order.confirmed")[1]["data"]
    assert confirmed[0]["data"]["order"]["id"] == order["id"]
    assert call(http, tenant, "GET", f"/v1/orders/{order['id']}")[1] == order
    assert_stock_invariants(tenant)


def test_a_short_line_reserves_nothing_and_lists_every_short_sku(http, tenant, shop):
    lines = [{"sku": "CAFE-500G", "quantity": 11}, {"sku": "ACUCAR-1KG", "quantity": 4}]
    status, problem = call(http, tenant, "POST", "/v1/orders", order_body(shop, lines))
    assert status == 409 and problem["code"] == "insufficient_stock"
    short = {(e["field"], e["sku"], e["requested"], e["available"]) for e in problem["errors"]}
    assert short == {("lines.0.quantity", "CAFE-500G", 11, 10), ("lines.1.quantity", "ACUCAR-1KG", 4, 3)}
    assert level(http, tenant, "CAFE-500G") == (10, 0, 10) and level(http, tenant, "ACUCAR-1KG") == (3, 0, 3)
    assert call(http, tenant, "GET", "/v1/orders")[1]["data"] == []
    assert_stock_invariants(tenant)


def test_lines_of_one_sku_merge_and_conflicting_prices_are_rejected(http, tenant, shop):
    order = place(http, tenant, shop, lines=[{"sku": "CAFE-500G", "quantity": 1}, {"sku": "CAFE-500G", "quantity": 2}])
    assert [(ln["sku"], ln["quantity"]) for ln in order["lines"]] == [("CAFE-500G", 3)]
    status, problem = call(http, tenant, "POST", "/v1/orders", order_body(shop, [
        {"sku": "CAFE-500G", "quantity": 1, "unit_price_cents": 100}, {"sku": "CAFE-500G", "quantity": 1}]))
    assert status == 400 and "lines.1.unit_price_cents" in fields(problem)
    assert level(http, tenant, "CAFE-500G") == (10, 3, 7)
    assert_stock_invariants(tenant)


def test_a_shortfall_names_the_line_the_client_sent_even_when_lines_merge(http, tenant, shop):
    lines = [{"sku": "CAFE-500G", "quantity": 1}, {"sku": "CAFE-500G", "quantity": 1}, {"sku": "ACUCAR-1KG", "quantity": 4}]
    status, problem = call(http, tenant, "POST", "/v1/orders", order_body(shop, lines))
    assert status == 409 and problem["code"] == "insufficient_stock"
    assert problem["errors"] == [{"field": "lines.2.quantity", "message": "requested 4, available 3",
                                  "sku": "ACUCAR-1KG", "warehouse": "main", "requested": 4, "available": 3}]
    assert level(http, tenant, "CAFE-500G") == (10, 0, 10)


def test_the_largest_total_a_boleto_can_carry_is_accepted(http, tenant, shop):
    order = place(http, tenant, shop, lines=[{"sku": "CAFE-500G", "quantity": 1, "unit_price_cents": 9_999_998_499}],
                  payment={"method": "boleto", "installments": 12, "first_due_in_days": 365})
    assert order["total_cents"] == 9_999_999_999
    one_centavo_each = place(http, tenant, shop, lines=[{"sku": "CAFE-500G", "quantity": 1, "unit_price_cents": 0}],
                             shipping_cents=12, payment={"method": "pix", "installments": 12})
    assert one_centavo_each["total_cents"] == 12
    assert level(http, tenant, "CAFE-500G") == (10, 2, 8)


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda b: b.update(lines=[]), "lines"),
    (lambda b: b.update(lines=[{"sku": "CAFE-500G", "quantity": 0}]), "lines.0.quantity"),
    (lambda b: b.update(lines=[{"sku": "CAFE-500G", "quantity": -1}]), "lines.0.quantity"),
    (lambda b: b.update(lines=[{"sku": "CAFE-500G", "quantity": 1.5}]), "lines.0.quantity"),
    (lambda b: b.update(lines=[{"sku": "CAFE-500G", "quantity": 10**12}]), "lines.0.quantity"),
    (lambda b: b.update(lines=[{"sku": "CAFE-500G", "quantity": 1}] * 10_000), "lines"),
    (lambda b: b.update(lines=[{"sku": "CAFE-500G", "quantity": 1, "unit_price_cents": 9.99}]),
     "lines.0.unit_price_cents"),
    (lambda b: b.update(shipping_cents=-1), "shipping_cents"),
    (lambda b: b.update(payment={"method": "cheque"}), "payment.method"),
    (lambda b: b.update(payment={"method": "pix", "installments": 13}), "payment.installments"),
    (lambda b: b.update(payment={"method": "pix", "installments": 0}), "payment.installments"),
    (lambda b: b.update(payment={"method": "boleto", "first_due_in_days": 366}), "payment.first_due_in_days"),
    (lambda b: b.update(payment={"method": "boleto", "first_due_in_days": -1}), "payment.first_due_in_days"),
    (lambda b: b.update(lines=[{"sku": "CAFE-500G", "quantity": 1000, "unit_price_cents": 10**12}]), "lines"),
    (lambda b: b.update(lines=[{"sku": "CAFE-500G", "quantity": 1, "unit_price_cents": 9_999_999_999}],
                        shipping_cents=1), "shipping_cents"),
    (lambda b: b.update(lines=[{"sku": "CAFE-500G", "quantity": 1, "unit_price_cents": 1}], shipping_cents=0,
                        payment={"method": "boleto", "installments": 2}), "payment.installments"),
    (lambda b: b.update(lines=[{"sku": "CAFE-500G", "quantity": 1, "unit_price_cents": 0}], shipping_cents=0,
                        payment={"method": "pix"}), "payment.installments"),
    (lambda b: b.pop("payment"), "payment"),
    (lambda b: b.update(customer_id="cus_nope"), "customer_id"),
    (lambda b: b.update(coupon="X"), "coupon"),
])
def test_bad_orders_are_400_naming_the_field_and_reserve_nothing(http, tenant, shop, mutate, field):
    body = order_body(shop)
    mutate(body)
    status, problem = call(http, tenant, "POST", "/v1/orders", body)
    assert status == 400 and problem["code"] == "invalid_request" and field in fields(problem), problem
    assert level(http, tenant, "CAFE-500G") == (10, 0, 10)


def test_unknown_customer_and_skus_are_404_naming_them(http, tenant, shop):
    status, problem = call(http, tenant, "POST", "/v1/orders",
                           order_body(shop, customer_id="cus_01ARZ3NDEKTSV4RRFFQ69G5FAV"))
    assert status == 404 and problem["code"] == "not_found" and fields(problem) == {"customer_id"}
    status, problem = call(http, tenant, "POST", "/v1/orders", order_body(shop, [
        {"sku": "CAFE-500G", "quantity": 1}, {"sku": "NOPE", "quantity": 1}, {"sku": "NADA", "quantity": 1}]))
    assert status == 404 and fields(problem) == {"lines.1.sku", "lines.2.sku"}
    assert level(http, tenant, "CAFE-500G") == (10, 0, 10)


def test_another_tenants_customer_and_order_are_404(http, tenant, shop):
    from tests.api.conftest import tenant_body
    from tests.conftest import ADMIN

    other = json.loads(http.request("POST", "/v1/tenants", tenant_body(cnpj="45723174000110"), ADMIN).body)
    other_tenant = {"id": other["id"], "headers": {"Authorization": f"Bearer {other['api_key']}"}}
    call(http, other_tenant, "POST", "/v1/products", product_body())
    status, problem = call(http, other_tenant, "POST", "/v1/orders", order_body(shop))
    assert status == 404 and fields(problem) == {"customer_id"}
    customer = call(http, other_tenant, "POST", "/v1/customers", customer_body())[1]
    status, problem = call(http, other_tenant, "POST", "/v1/orders", order_body({"customer_id": customer["id"]}))
    assert status == 404 and fields(problem) == {"lines.1.sku"}  # ACUCAR-1KG is only the first tenant's
    order = place(http, tenant, shop)
    assert call(http, other_tenant, "GET", f"/v1/orders/{order['id']}")[0] == 404
    assert call(http, other_tenant, "POST", f"/v1/orders/{order['id']}/cancel", {"reason": "x"})[0] == 404


def test_with_invoicing_on_an_order_ships_only_once_invoiced(http, tenant, shop):
    order = place(http, tenant, shop)
    status, problem = call(http, tenant, "POST", f"/v1/orders/{order['id']}/ship", {})
    assert status == 409 and problem["code"] == "invalid_state"
    invoice = {"invoice": {"id": "inv_01ARZ3NDEKTSV4RRFFQ69G5FAV", "order_id": order["id"]}}
    for _ in range(2):  # at-least-once delivery
        assert deliver_event("orders_consumer", "invoice.authorized", tenant, invoice,
                             "evt_01ARZ3NDEKTSV4RRFFQ69G5FA1") == {"batchItemFailures": []}
    invoiced = call(http, tenant, "GET", f"/v1/orders/{order['id']}")[1]
    assert invoiced["status"] == "invoiced" and invoiced["invoice_id"] == invoice["invoice"]["id"]
    assert [t["type"] for t in invoiced["timeline"]] == ["order.confirmed", "order.invoiced"]
    status, shipped = call(http, tenant, "POST", f"/v1/orders/{order['id']}/ship", {"carrier": "Correios"})
    assert status == 200 and shipped["status"] == "shipped" and shipped["carrier"] == "Correios"
    assert_stock_invariants(tenant)


def test_ship_turns_the_reservation_into_outbound_stock_then_deliver(http, tenant, shop):
    invoicing_off(http, tenant)
    order = place(http, tenant, shop)
    status, shipped = call(http, tenant, "POST", f"/v1/orders/{order['id']}/ship",
                           {"carrier": "Correios", "tracking_code": "BR123456789BR"})
    assert status == 200 and shipped["status"] == "shipped" and shipped["tracking_code"] == "BR123456789BR"
    assert level(http, tenant, "CAFE-500G") == (8, 0, 8) and level(http, tenant, "ACUCAR-1KG") == (2, 0, 2)
    movements = call(http, tenant, "GET", "/v1/stock/movements?sku=CAFE-500G")[1]["data"]
    assert movements[0]["type"] == "shipment" and movements[0]["quantity"] == -2
    assert call(http, tenant, "POST", f"/v1/orders/{order['id']}/ship", {})[1]["code"] == "invalid_state"
    status, delivered = call(http, tenant, "POST", f"/v1/orders/{order['id']}/deliver", {})
    assert status == 200 and delivered["status"] == "delivered"
    assert [t["type"] for t in delivered["timeline"]] == ["order.confirmed", "order.shipped", "order.delivered"]
    assert call(http, tenant, "POST", f"/v1/orders/{order['id']}/cancel", {"reason": "late"})[1]["code"] == \
        "invalid_state"
    assert_stock_invariants(tenant)


def test_cancel_releases_the_reservation_once(http, tenant, shop):
    order = place(http, tenant, shop)
    status, cancelled = call(http, tenant, "POST", f"/v1/orders/{order['id']}/cancel", {"reason": "cliente desistiu"})
    assert status == 200 and cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "cliente desistiu"
    assert level(http, tenant, "CAFE-500G") == (10, 0, 10)
    again = call(http, tenant, "POST", f"/v1/orders/{order['id']}/cancel", {"reason": "de novo"})
    assert again[0] == 409 and again[1]["code"] == "invalid_state"
    assert call(http, tenant, "POST", f"/v1/orders/{order['id']}/cancel", {})[0] == 400
    assert level(http, tenant, "CAFE-500G") == (10, 0, 10)
    assert_stock_invariants(tenant)


def test_deliver_from_confirmed_and_unknown_orders_are_refused(http, tenant, shop):
    order = place(http, tenant, shop)
    assert call(http, tenant, "POST", f"/v1/orders/{order['id']}/deliver", {})[1]["code"] == "invalid_state"
    assert call(http, tenant, "POST", "/v1/orders/ord_01ARZ3NDEKTSV4RRFFQ69G5FAV/ship", {})[0] == 404
    assert call(http, tenant, "GET", "/v1/orders/garbage")[0] == 404


def test_charges_drive_payment_status_and_the_last_payment_pays_the_order(http, tenant, shop):
    order = place(http, tenant, shop)
    first, second = "chg_01ARZ3NDEKTSV4RRFFQ69G5FA1", "chg_01ARZ3NDEKTSV4RRFFQ69G5FA2"

    def charge(event_type: str, charge_id: str, amount: int, status: str, paid: int, n: int) -> None:
        data = {"charge": {"id": charge_id, "order_id": order["id"], "amount_cents": amount, "status": status,
                           "paid_amount_cents": paid}}
        assert deliver_event("orders_consumer", event_type, tenant, data,
                             f"evt_01ARZ3NDEKTSV4RRFFQ69G5F{n:02d}") == {"batchItemFailures": []}

    charge("charge.created", first, 3640, "pending", 0, 10)
    charge("charge.created", second, 3640, "pending", 0, 11)
    charge("charge.overdue", first, 3640, "overdue", 0, 12)
    assert call(http, tenant, "GET", f"/v1/orders/{order['id']}")[1]["payment_status"] == "overdue"
    charge("charge.paid", first, 3640, "paid", 3700, 13)
    partial = call(http, tenant, "GET", f"/v1/orders/{order['id']}")[1]
    assert partial["payment_status"] == "partially_paid" and partial["paid_cents"] == 3700
    assert partial["charge_ids"] == [first, second]
    charge("charge.paid", second, 3640, "paid", 3640, 14)
    charge("charge.paid", second, 3640, "paid", 3640, 15)  # a second notice changes nothing
    paid = call(http, tenant, "GET", f"/v1/orders/{order['id']}")[1]
    assert paid["payment_status"] == "paid"
    assert len(call(http, tenant, "GET", "/v1/events?type=order.paid")[1]["data"]) == 1


def test_orders_are_listed_newest_first_by_status_and_customer(http, tenant, shop):
    first = place(http, tenant, shop, lines=[{"sku": "CAFE-500G", "quantity": 1}])
    second = place(http, tenant, shop, lines=[{"sku": "CAFE-500G", "quantity": 1}])
    call(http, tenant, "POST", f"/v1/orders/{first['id']}/cancel", {"reason": "teste"})
    ids = [o["id"] for o in call(http, tenant, "GET", "/v1/orders")[1]["data"]]
    assert ids == [second["id"], first["id"]]
    assert [o["id"] for o in call(http, tenant, "GET", "/v1/orders?status=cancelled")[1]["data"]] == [first["id"]]
    assert [o["id"] for o in call(http, tenant, "GET", "/v1/orders?status=confirmed")[1]["data"]] == [second["id"]]
    by_customer = call(http, tenant, "GET", f"/v1/orders?customer_id={shop['customer_id']}&limit=1")[1]
    assert len(by_customer["data"]) == 1 and by_customer["next_cursor"]
    assert call(http, tenant, "GET", "/v1/orders?status=lost")[0] == 400


def test_an_idempotency_key_is_bound_to_the_resource_it_acted_on(http, tenant, shop):
    first, second = place(http, tenant, shop, lines=[{"sku": "CAFE-500G", "quantity": 1}]), \
        place(http, tenant, shop, lines=[{"sku": "CAFE-500G", "quantity": 1}])
    headers = {**tenant["headers"], "Idempotency-Key": "cancel-1"}
    done = http.request("POST", f"/v1/orders/{first['id']}/cancel", {"reason": "duplicado"}, headers)
    assert done.status_code == 200
    again = http.request("POST", f"/v1/orders/{first['id']}/cancel", {"reason": "duplicado"}, headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    other = http.request("POST", f"/v1/orders/{second['id']}/cancel", {"reason": "duplicado"}, headers)
    assert other.status_code == 409 and json.loads(other.body)["code"] == "idempotency_key_reused", other.body
    assert call(http, tenant, "GET", f"/v1/orders/{second['id']}")[1]["status"] == "confirmed"

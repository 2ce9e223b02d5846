"""Reports through the API: the sales report from the projections the reports consumer keeps, grouped by
day, month, product and customer; cancelled orders are not sales; CSV carries the JSON's figures."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tests.api.test_catalog import call, fields
from tests.api.test_orders import place, shop  # noqa: F401 - the fixture
from tests.clock import app_today


def project(http, tenant) -> None:
    """Hand every order event in the log to the reports consumer, twice (delivery is at least once)."""
    import app

    for event_type in ("order.confirmed", "order.cancelled"):
        events = call(http, tenant, "GET", f"/v1/events?type={event_type}&limit=100")[1]["data"]
        for event in events * 2:
            envelope = {k: event[k] for k in ("id", "type", "tenant_id", "occurred_at", "data")}
            message = {"messageId": event["id"], "body": json.dumps({"detail-type": event_type, "detail": envelope})}
            assert app.reports_consumer({"Records": [message]}, None) == {"batchItemFailures": []}


def report(http, tenant, query: str = "") -> dict[str, Any]:
    status, body = call(http, tenant, "GET", f"/v1/reports/sales{query}")
    assert status == 200, body
    return body


def test_sales_by_day_product_and_customer_leave_cancelled_orders_out(monday, http, tenant, shop):  # noqa: F811
    first = place(http, tenant, shop)  # 2 cafés (2 × 25,90) + 1 açúcar (6,00) + 15,00 shipping = 72,80
    place(http, tenant, shop, lines=[{"sku": "CAFE-500G", "quantity": 1}])  # 25,90 + 15,00
    cancelled = place(http, tenant, shop, lines=[{"sku": "CAFE-500G", "quantity": 3}])
    assert call(http, tenant, "POST", f"/v1/orders/{cancelled['id']}/cancel", {"reason": "desistiu"})[0] == 200
    project(http, tenant)
    today = app_today().isoformat()
    by_day = report(http, tenant)
    assert by_day["to"] == today and by_day["group_by"] == "day" and by_day["currency"] == "BRL"
    assert by_day["rows"] == [{"day": today, "orders": 2, "gross_cents": 7280 + 4090, "average_ticket_cents": 5685}]
    assert by_day["totals"] == {"orders": 2, "gross_cents": 11370, "average_ticket_cents": 5685}
    products = report(http, tenant, "?group_by=product")["rows"]
    assert [(r["sku"], r["quantity"], r["revenue_cents"], r["orders"]) for r in products] == [
        ("CAFE-500G", 3, 7770, 2), ("ACUCAR-1KG", 1, 600, 1)]
    [customer] = report(http, tenant, "?group_by=customer")["rows"]
    assert customer == {"customer_id": shop["customer_id"], "orders": 2, "revenue_cents": 11370}
    [month] = report(http, tenant, "?group_by=month")["rows"]
    assert month["month"] == today[:7] and month["gross_cents"] == 11370
    assert first["total_cents"] == 7280


def test_a_period_without_sales_and_bad_periods(monday, http, tenant):
    assert report(http, tenant, "?from=2025-01-01&to=2025-01-31")["rows"] == []
    status, problem = call(http, tenant, "GET", "/v1/reports/sales?from=2025-02-01&to=2025-01-01")
    assert status == 400 and fields(problem) == {"from"}
    status, problem = call(http, tenant, "GET", "/v1/reports/sales?from=2020-01-01&to=2025-01-01")
    assert status == 400 and fields(problem) == {"to"}
    status, problem = call(http, tenant, "GET", "/v1/reports/sales?group_by=week")
    assert status == 400 and fields(problem) == {"group_by"}


def test_csv_carries_the_json_figures_for_a_pt_br_spreadsheet(monday, http, tenant, shop):  # noqa: F811
    place(http, tenant, shop)
    project(http, tenant)
    for group_by, amount in (("day", "gross_brl"), ("product", "revenue_brl"), ("customer", "revenue_brl")):
        data = report(http, tenant, f"?group_by={group_by}")
        answer = http.request("GET", f"/v1/reports/sales?group_by={group_by}&format=csv", None, tenant["headers"])
        assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
        text = answer.body.decode("utf-8")
        assert text.startswith("\ufeff") and "\r\n" in text
        rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
        assert len(rows) == len(data["rows"])
        json_amount = amount.replace("_brl", "_cents")
        for got, want in zip(rows, data["rows"], strict=True):
            assert int(got[amount].replace(",", "")) == want[json_amount]
            assert int(got["orders"]) == want["orders"]
        if group_by == "day":
            assert rows[0]["day"] == "/".join(reversed(data["rows"][0]["day"].split("-")))

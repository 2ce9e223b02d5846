"""Use cases of reports: the projections kept from events, and the sales report read from them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from chalicelib.platform.clock import Clock, business_date
from chalicelib.platform.errors import FieldError, InvalidRequestError
from chalicelib.platform.events import Event
from chalicelib.platform.money import decimal_comma
from chalicelib.platform.spreadsheet import dd_mm_yyyy, pt_br_csv
from chalicelib.reports import keys
from chalicelib.reports.model import Bucket, GroupBy, Sale, sale_of, sales_rows, totals

MAX_DAYS = 731  # two years a request: a report reads its period's buckets, so the period bounds the cost
DEFAULT_DAYS = 30


class ReportRepository(Protocol):
    def apply_sale(self, tenant_id: str, event_id: str, sale: Sale) -> bool: ...
    def buckets(self, tenant_id: str, kind: str, first: str, last: str) -> Iterator[Bucket]: ...


@dataclass(frozen=True)
class ReportDeps:
    repo: ReportRepository
    clock: Clock


def on_order(event: Event, deps: ReportDeps) -> None:
    """`order.confirmed` adds the order to the day it was placed; `order.cancelled` takes it back out."""
    sign = -1 if event.type == "order.cancelled" else 1
    deps.repo.apply_sale(event.tenant_id, event.id, sale_of(event.data["order"], sign))


def period(first: date | None, last: date | None, deps: ReportDeps) -> tuple[date, date]:
    """The period asked for: `to` defaults to today, `from` to 30 days before it; at most two years."""
    last = last or business_date(deps.clock.now())
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidRequestError("The period is not valid.", [FieldError("from", "must not be after to")])
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidRequestError("The period is too long.", [FieldError("to", f"is more than {MAX_DAYS} days after from")])
    return first, last


_KIND = {"day": keys.DAY, "month": keys.DAY, "product": keys.PRODUCT, "customer": keys.CUSTOMER}


def sales(tenant_id: str, first: date | None, last: date | None, group_by: GroupBy, deps: ReportDeps) -> dict[str, Any]:
    """`GET /v1/reports/sales`: orders placed in the period, cancelled ones excluded, grouped."""
    first, last = period(first, last, deps)
    days = list(deps.repo.buckets(tenant_id, keys.DAY, first.isoformat(), last.isoformat()))
    members = days if _KIND[group_by] == keys.DAY else \
        deps.repo.buckets(tenant_id, _KIND[group_by], first.isoformat(), last.isoformat())
    return {"from": first.isoformat(), "to": last.isoformat(), "group_by": group_by, "currency": "BRL",
            "rows": sales_rows(group_by, members), "totals": totals(days)}


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name.endswith("_cents"):
        return decimal_comma(int(value))
    if name == "day":
        return dd_mm_yyyy(value)
    if name == "month":
        return f"{value[5:7]}/{value[:4]}"
    return str(value)


def csv_columns(name: str) -> str:
    """A JSON field as a CSV column: the same figure, in reais (`gross_cents` → `gross_brl`)."""
    return name[:-6] + "_brl" if name.endswith("_cents") else name


def as_csv(report: dict[str, Any], columns: list[str]) -> str:
    """A report's rows as a pt-BR spreadsheet opens them (platform.spreadsheet), the JSON's figures."""
    return pt_br_csv([csv_columns(c) for c in columns], ([_cell(c, row.get(c)) for c in columns]
                                                         for row in report["rows"]))


SALES_COLUMNS: dict[str, list[str]] = {
    "day": ["day", "orders", "gross_cents", "average_ticket_cents"],
    "month": ["month", "orders", "gross_cents", "average_ticket_cents"],
    "product": ["sku", "name", "quantity", "orders", "revenue_cents"],
    "customer": ["customer_id", "orders", "revenue_cents"],
}

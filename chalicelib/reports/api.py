"""HTTP routes of reports: JSON, or CSV as a pt-BR spreadsheet opens it."""

from __future__ import annotations

from datetime import date as Date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.http import Api, Call, Result
from chalicelib.reports import service
from chalicelib.reports.service import ReportDeps

api: Api[ReportDeps] = Api(__name__, tag="Reports")


class SalesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: Date | None = Field(default=None, alias="from", description="First day (default: 29 days before `to`).")
    to: Date | None = Field(default=None, description="Last day (default: today in São Paulo); at most 731 days.")
    group_by: Literal["day", "month", "product", "customer"] = "day"
    format: Literal["json", "csv"] = Field(default="json", description=(
        "`csv`: the same figures, `;`-separated, amounts in reais with a decimal comma, dates dd/mm/yyyy, UTF-8 "
        "with a BOM (what Excel and LibreOffice in pt-BR open as numbers)."))


class SalesRow(BaseModel):
    day: str | None = None
    month: str | None = None
    sku: str | None = None
    name: str | None = None
    customer_id: str | None = None
    quantity: int | None = None
    orders: int
    gross_cents: int | None = None
    revenue_cents: int | None = None
    average_ticket_cents: int | None = None


class SalesTotals(BaseModel):
    orders: int
    gross_cents: int
    average_ticket_cents: int


class SalesReport(BaseModel):
    from_: str = Field(alias="from")
    to: str
    group_by: Literal["day", "month", "product", "customer"]
    currency: Literal["BRL"]
    rows: list[SalesRow]
    totals: SalesTotals


@api.route_spec("/v1/reports/sales", scope="reports:read", query=SalesQuery, response=SalesReport)
def sales_report(call: Call[ReportDeps]) -> Result:
    """Get the sales report
    Orders placed in the period (São Paulo's days), cancelled ones excluded (an order cancelled later leaves
    the day it was placed), by `day` or `month` (orders, gross, average ticket), `product` (quantity and
    revenue, biggest first) or `customer`. Money in centavos; read from projections kept by the event
    consumers, so it costs the period's days, not the tenant's history. `?format=csv` for a spreadsheet."""
    q: SalesQuery = call.query
    report = service.sales(call.tenant_id, q.from_, q.to, q.group_by, call.deps)
    if q.format == "csv":
        name = f"vendas-{q.group_by}-{report['from']}-{report['to']}.csv"
        return Result(service.as_csv(report, service.SALES_COLUMNS[q.group_by]), content_type="text/csv; charset=utf-8",
                      headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return Result(report)

"""HTTP routes of metering: the tenant's usage of a month (under the Tenants tag, where clients look)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.metering.model import month_of
from chalicelib.metering.service import MeteringDeps, usage_for
from chalicelib.platform.http import Api, Call, Result

api: Api[MeteringDeps] = Api(__name__, tag="Tenants")


class UsageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] | None = Field(
        default=None, description="YYYY-MM (America/Sao_Paulo); the current month when absent.")


class UsageResponse(BaseModel):
    month: str
    api_calls: int
    orders: int
    invoices: int
    charges: int
    notifications: int
    storage_items: int


@api.route_spec("/v1/usage", scope="settings:read", query=UsageQuery, response=UsageResponse)
def get_usage(call: Call[MeteringDeps]) -> Result:
    """Metered usage of a month
    API calls, orders, invoices, charges, notifications and stored documents, counted
    per calendar month in America/Sao_Paulo."""
    month = call.query.month or month_of(call.deps.clock.now())
    return Result({"month": month, **usage_for(call.tenant_id, month, call.deps)})

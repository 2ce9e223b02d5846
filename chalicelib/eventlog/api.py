"""HTTP routes of the event log."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from chalicelib.eventlog.repository import DynamoEventLog
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.events import Event
from chalicelib.platform.http import Api, Call, Result
from chalicelib.platform.ids import is_id
from chalicelib.platform.pagination import ListQuery, page_body

api: Api[DynamoEventLog] = Api(__name__, tag="Events")


class EventQuery(ListQuery):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: str | None = Field(default=None, pattern=r"^[a-z_]+\.[a-z_]+$", max_length=60)
    from_: AwareDatetime | None = Field(default=None, alias="from", description=(
        "Events that occurred at or after this instant (RFC 3339)."))
    to: AwareDatetime | None = Field(default=None, description="Events that occurred at or before this instant.")

    @model_validator(mode="after")
    def _ordered(self) -> EventQuery:
        if self.from_ is not None and self.to is not None and self.from_ > self.to:
            raise ValueError("from must not be after to")
        return self


class EventResponse(BaseModel):
    id: str
    type: str
    tenant_id: str
    occurred_at: str
    data: dict[str, Any]
    published_at: str | None = Field(description="When the event reached the event bus; null until then.")


class EventListResponse(BaseModel):
    data: list[EventResponse]
    next_cursor: str | None


def _event(row: tuple[Event, str | None]) -> dict[str, Any]:
    event, published_at = row
    return {**event.envelope(), "published_at": published_at}


@api.route_spec("/v1/events", scope="webhooks:read", query=EventQuery, response=EventListResponse)
def list_events(call: Call[DynamoEventLog]) -> Result:
    """List the tenant's events, newest first
    The same envelopes the event bus and outbound webhooks carry. Filter with `type` and the period
    `from`..`to` (RFC 3339, inclusive). The log keeps each event 30 days; DynamoDB's TTL removes it after."""
    q: EventQuery = call.query
    page = call.deps.list(call.tenant_id, q.type, q.limit, q.cursor, q.from_, q.to)
    return Result(page_body(page, _event))


@api.route_spec("/v1/events/{event_id}", scope="webhooks:read", response=EventResponse, extra_statuses=(404,))
def get_event(call: Call[DynamoEventLog], event_id: str) -> Result:
    """Get one event"""
    if not is_id(event_id, "evt"):
        raise NotFoundError(f"No event {event_id}.")
    return Result(_event(call.deps.get(call.tenant_id, event_id)))

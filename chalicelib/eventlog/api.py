"""HTTP routes of the event log."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.eventlog.repository import DynamoEventLog
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.events import Event
from chalicelib.platform.http import Api, Call, Result
from chalicelib.platform.ids import is_id
from chalicelib.platform.pagination import ListQuery, page_body

api: Api[DynamoEventLog] = Api(__name__, tag="Events")


class EventQuery(ListQuery):
    model_config = ConfigDict(extra="forbid")

    type: str | None = Field(default=None, pattern=r"^[a-z_]+\.[a-z_]+$", max_length=60)


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
    The same envelopes the event bus and outbound webhooks carry. Filter with `type`."""
    page = call.deps.list(call.tenant_id, call.query.type, call.query.limit, call.query.cursor)
    return Result(page_body(page, _event))


@api.route_spec("/v1/events/{event_id}", scope="webhooks:read", response=EventResponse, extra_statuses=(404,))
def get_event(call: Call[DynamoEventLog], event_id: str) -> Result:
    """Get one event"""
    if not is_id(event_id, "evt"):
        raise NotFoundError(f"No event {event_id}.")
    return Result(_event(call.deps.get(call.tenant_id, event_id)))

"""Domain events: the envelope, the outbox (written in the command's transaction) and the log.

The outbox item *is* the tenant's event log entry: `GET /v1/events` reads the same items
the stream publisher ships to EventBridge, so what a client sees is what was published.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib.platform import keys
from chalicelib.platform.clock import Clock, rfc3339
from chalicelib.platform.dynamo import BaseRecord, UnitOfWork
from chalicelib.platform.ids import IdGenerator

EVENT_SOURCE = "retaguarda"
RETENTION_DAYS = 30  # the event log's promise (API.md): kept at least this long, then DynamoDB's TTL removes it


@dataclass(frozen=True)
class Event:
    """`{"id", "type", "tenant_id", "occurred_at", "data"}`: what the bus and webhooks carry."""

    id: str
    type: str
    tenant_id: str
    occurred_at: str
    data: dict[str, Any] = field(default_factory=dict)

    def envelope(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "tenant_id": self.tenant_id,
                "occurred_at": self.occurred_at, "data": self.data}

    @classmethod
    def from_envelope(cls, envelope: dict[str, Any]) -> Event:
        return cls(id=envelope["id"], type=envelope["type"], tenant_id=envelope["tenant_id"],
                   occurred_at=envelope["occurred_at"], data=envelope.get("data") or {})


class EventFactory:
    """Makes events with fresh ids and the clock's time."""

    def __init__(self, ids: IdGenerator, clock: Clock) -> None:
        self._ids, self._clock = ids, clock

    def make(self, tenant_id: str, event_type: str, data: dict[str, Any], at: datetime | None = None) -> Event:
        """An event of now (or `at`): its id sorts by that instant, so the log is read by time through its keys."""
        instant = at or self._clock.now()
        return Event(id=self._ids.new("evt", instant), type=event_type, tenant_id=tenant_id,
                     occurred_at=rfc3339(instant), data=data)


class EventRecord(BaseRecord):
    """An outbox / event-log item: `T#<tenant>` / `EVT#<evt id>` (ids sort by time)."""

    event_type = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    body = UnicodeAttribute()
    published_at = UnicodeAttribute(null=True)


def stage_event(uow: UnitOfWork, event: Event) -> None:
    """Add the event to the command's transaction: it exists only if the command commits."""
    key = keys.event(event.tenant_id, event.id)
    by_type = keys.event_type_index(event.tenant_id, event.type, event.id)
    expires = datetime.fromisoformat(event.occurred_at.replace("Z", "+00:00")) + timedelta(days=RETENTION_DAYS)
    record = EventRecord.at(key, kind="event", event_type=event.type, occurred_at=event.occurred_at,
                            body=json.dumps(event.envelope(), separators=(",", ":"), sort_keys=True),
                            gsi1pk=by_type.pk, gsi1sk=by_type.sk, expires_at=int(expires.timestamp()))
    uow.put(record, condition=EventRecord.pk.does_not_exist())


def record_to_event(record: EventRecord) -> Event:
    return Event.from_envelope(json.loads(record.body))

"""The tenant's event log: the outbox items, read back."""

from __future__ import annotations

from chalicelib.platform import keys
from chalicelib.platform.dynamo import newest_page
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.events import Event, EventRecord, record_to_event
from chalicelib.platform.pagination import Page


class DynamoEventLog:
    def list(self, tenant_id: str, event_type: str | None, limit: int, cursor: str | None) -> Page[tuple[Event, str | None]]:
        return newest_page(EventRecord, f"{tenant_id}:events:{event_type or '*'}", limit, cursor,
                           lambda r: (record_to_event(r), r.published_at), prefix=keys.event_prefix(tenant_id),
                           index=keys.event_type_index(tenant_id, event_type, "x") if event_type else None)

    def get(self, tenant_id: str, event_id: str) -> tuple[Event, str | None]:
        key = keys.event(tenant_id, event_id)
        try:
            record = EventRecord.get(key.pk, key.sk)
        except EventRecord.DoesNotExist:
            raise NotFoundError(f"No event {event_id}.") from None
        return record_to_event(record), record.published_at

"""The tenant's event log: the outbox items, read back. Event ids sort by the instant they occurred, so a
time range is a key range (the table's, or GSI1's for one type): reading a period costs the period."""

from __future__ import annotations

import builtins
from datetime import datetime

from chalicelib.platform import keys
from chalicelib.platform.dynamo import newest_page, query_rows
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.events import Event, EventRecord, record_to_event
from chalicelib.platform.ids import id_bounds
from chalicelib.platform.pagination import Page


class DynamoEventLog:
    def list(self, tenant_id: str, event_type: str | None, limit: int, cursor: str | None,
             start: datetime | None = None, end: datetime | None = None) -> Page[tuple[Event, str | None]]:
        """Newest first, of one type or all, occurred between `start` and `end` (each optional, inclusive)."""
        scope = f"{tenant_id}:events:{event_type or '*'}:{start.isoformat() if start else '*'}:" \
                f"{end.isoformat() if end else '*'}"
        return newest_page(EventRecord, scope, limit, cursor, lambda r: (record_to_event(r), r.published_at),
                           prefix=keys.event_prefix(tenant_id),
                           index=keys.event_type_index(tenant_id, event_type, "x") if event_type else None,
                           between=id_bounds("evt", start, end) if start or end else None)

    def get(self, tenant_id: str, event_id: str) -> tuple[Event, str | None]:
        key = keys.event(tenant_id, event_id)
        try:
            record = EventRecord.get(key.pk, key.sk)
        except EventRecord.DoesNotExist:
            raise NotFoundError(f"No event {event_id}.") from None
        return record_to_event(record), record.published_at

    def between(self, tenant_id: str, start: datetime, end: datetime, after: str | None, limit: int) -> builtins.list[Event]:
        """Up to `limit` events occurred between `start` and `end`, oldest first, after the event id `after`
        (a replay walks a period with it)."""
        low, high = id_bounds("evt", start, end)
        prefix = keys.event_prefix(tenant_id)
        if after is not None:
            low = after + "\x00"  # strictly after it
        if low > high:
            return []
        rows = query_rows(EventRecord, prefix.pk, EventRecord.sk.between(prefix.sk + low, prefix.sk + high), limit,
                          None)
        return [record_to_event(record) for record, _ in rows]

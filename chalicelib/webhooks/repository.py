"""The tenant's event log: the outbox items, read back."""

from __future__ import annotations

from typing import Any

from chalicelib.platform import keys
from chalicelib.platform.dynamo import query_rows
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.events import Event, EventRecord, record_to_event
from chalicelib.platform.pagination import Page, paginate


class DynamoEventLog:
    def list(self, tenant_id: str, event_type: str | None, limit: int, cursor: str | None) -> Page[tuple[Event, str | None]]:
        def fetch(n: int, position: dict[str, Any] | None) -> list[tuple[tuple[Event, str | None], dict[str, str]]]:
            if event_type:
                index_key = keys.event_type_index(tenant_id, event_type, "x")
                rows = query_rows(EventRecord, index_key.pk, None, n, position, by_gsi1=True, newest_first=True)
            else:
                prefix = keys.event_prefix(tenant_id)
                rows = query_rows(EventRecord, prefix.pk, EventRecord.sk.startswith(prefix.sk), n, position,
                                  newest_first=True)
            return [((record_to_event(r), r.published_at), pos) for r, pos in rows]

        return paginate(f"{tenant_id}:events:{event_type or '*'}", limit, cursor, fetch)

    def get(self, tenant_id: str, event_id: str) -> tuple[Event, str | None]:
        key = keys.event(tenant_id, event_id)
        try:
            record = EventRecord.get(key.pk, key.sk)
        except EventRecord.DoesNotExist:
            raise NotFoundError(f"No event {event_id}.") from None
        return record_to_event(record), record.published_at

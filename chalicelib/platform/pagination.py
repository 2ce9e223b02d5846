"""Opaque, signed cursors bound to the caller's partition, and a page helper.

A cursor is the DynamoDB key to resume from, signed with HMAC-SHA256 together with the
partition it belongs to: a cursor minted for one tenant (or one listing) fails
verification anywhere else, so it cannot be replayed to read another tenant's items.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.config import get_settings
from chalicelib.platform.errors import FieldError, InvalidRequestError

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def every(page_of: Callable[[str | None], Page[T]]) -> Iterator[T]:
    """Every item of a listing, page after page (`page_of(cursor)`), to its end."""
    cursor: str | None = None
    while True:
        page = page_of(cursor)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _sign(scope: str, payload: bytes) -> str:
    secret = get_settings().cursor_secret.encode()
    mac = hmac.new(secret, scope.encode() + b"\x00" + payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:16]).decode().rstrip("=")


def encode_cursor(scope: str, position: dict[str, Any]) -> str:
    payload = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_sign(scope, payload)}"


def decode_cursor(scope: str, cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    invalid = InvalidRequestError("The cursor is not valid for this listing.",
                                  [FieldError("cursor", "is not a cursor returned by this listing")])
    try:
        body, signature = cursor.split(".", 1)
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, TypeError):
        raise invalid from None
    if not hmac.compare_digest(signature, _sign(scope, payload)):
        raise invalid
    try:
        position = json.loads(payload)
    except ValueError:
        raise invalid from None
    if not isinstance(position, dict):
        raise invalid
    return position


def paginate(scope: str, limit: int, cursor: str | None,
             fetch: Callable[[int, dict[str, Any] | None], list[tuple[T, dict[str, Any]]]]) -> Page[T]:
    """Fetch `limit + 1` items from the decoded position; the extra one says whether more exist.

    `fetch(n, position)` returns up to n `(item, position_of_item)` pairs in order.
    """
    position = decode_cursor(scope, cursor)
    rows = fetch(limit + 1, position)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(scope, rows[-1][1]) if more and rows else None
    return Page([item for item, _ in rows], next_cursor)


class ListQuery(BaseModel):
    """`limit` (1..100, default 50) and `cursor`, taken by every collection."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=4096)


def page_body(page: Page[Any], render: Callable[[Any], Any]) -> dict[str, Any]:
    return {"data": [render(item) for item in page.items], "next_cursor": page.next_cursor}

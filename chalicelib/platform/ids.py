"""Prefixed, sortable identifiers (ULID)."""

from __future__ import annotations

import re
import threading
from datetime import datetime
from typing import Protocol

from ulid import ULID

PREFIXES = frozenset(
    {"ten", "cus", "ord", "inv", "chg", "mov", "key", "evt", "whe", "stm", "btx", "ntf", "vod", "cce", "pay", "dun", "jnl",
     "bac", "rul", "sup", "bil", "po", "nfi", "whd"}
)
_ID_RE = re.compile(r"^(?P<prefix>[a-z]{2,3})_(?P<ulid>[0-9A-HJKMNP-TV-Z]{26})$")


class IdGenerator(Protocol):
    """Port: makes new ids."""

    def new(self, prefix: str, at: datetime | None = None) -> str: ...


class UlidGenerator:
    """Adapter: ULIDs that sort by creation: within one millisecond each id is the previous one plus one (the
    ULID spec's monotonic mode), so ids made in a burst list in the order they were made."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[int, int] = {}  # per millisecond (ids of now and of a given instant interleave)

    def new(self, prefix: str, at: datetime | None = None) -> str:
        """A new id; `at` sets the instant it sorts by (events take their `occurred_at`), else now."""
        if prefix not in PREFIXES:
            raise ValueError(f"unknown id prefix {prefix!r}")
        value = int(ULID.from_datetime(at) if at is not None else ULID())
        with self._lock:
            last = self._last.get(value >> 80, 0)
            if value <= last:
                value = last + 1
            if len(self._last) > 1024:
                self._last.clear()
            self._last[value >> 80] = value
        return f"{prefix}_{ULID.from_int(value)}"


def id_bounds(prefix: str, start: datetime | None, end: datetime | None) -> tuple[str, str]:
    """The lowest id of `start`'s millisecond and the highest of `end`'s: the key range of ids made
    between two instants (either open: the lowest or highest id of the prefix)."""
    low = str(ULID.from_datetime(start))[:10] + "0" * 16 if start is not None else "0" * 26
    high = str(ULID.from_datetime(end))[:10] + "Z" * 16 if end is not None else "Z" * 26
    return f"{prefix}_{low}", f"{prefix}_{high}"


def is_id(value: str, prefix: str) -> bool:
    """True when `value` is a well-formed id with `prefix`."""
    match = _ID_RE.match(value or "")
    return bool(match and match.group("prefix") == prefix)

"""Prefixed, sortable identifiers (ULID)."""

from __future__ import annotations

import re
from typing import Protocol

from ulid import ULID

PREFIXES = frozenset(
    {"ten", "cus", "ord", "inv", "chg", "mov", "key", "evt", "whe", "stm", "btx", "ntf", "vod", "cce", "pay", "dun", "jnl",
     "bac", "rul", "sup", "bil", "po", "nfi"}
)
_ID_RE = re.compile(r"^(?P<prefix>[a-z]{2,3})_(?P<ulid>[0-9A-HJKMNP-TV-Z]{26})$")


class IdGenerator(Protocol):
    """Port: makes new ids."""

    def new(self, prefix: str) -> str: ...


class UlidGenerator:
    """Adapter: ULIDs, monotonic enough for sorting by creation time."""

    def new(self, prefix: str) -> str:
        if prefix not in PREFIXES:
            raise ValueError(f"unknown id prefix {prefix!r}")
        return f"{prefix}_{ULID()}"


def is_id(value: str, prefix: str) -> bool:
    """True when `value` is a well-formed id with `prefix`."""
    match = _ID_RE.match(value or "")
    return bool(match and match.group("prefix") == prefix)

"""Clock port: the only source of 'now' (UTC instants, São Paulo business dates)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Protocol
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


class Clock(Protocol):
    """Port: tells the time."""

    def now(self) -> datetime: ...


class SystemClock:
    """Adapter: the machine's clock, always timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved; for tests and simulations."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, **delta: float) -> None:
        self._at = self._at + timedelta(**delta)


def rfc3339(instant: datetime) -> str:
    """An instant as RFC 3339 UTC with a Z, second precision plus milliseconds."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def business_date(instant: datetime) -> date:
    """The calendar date in America/Sao_Paulo for an instant."""
    return instant.astimezone(SAO_PAULO).date()


def _rfc3339_text(value: object) -> object:
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}", value):
        raise ValueError("must be an RFC 3339 timestamp with its offset, such as 2026-11-23T10:00:00-03:00")
    return value


def _plausible(value: datetime) -> datetime:
    if not 2000 <= value.year <= 2100:  # also keeps UTC conversions from overflowing (year 1 at +05:00)
        raise ValueError("must be an instant between the years 2000 and 2100")
    return value


# An instant in a request body: RFC 3339 text with an offset (no Unix numbers, no naive times).
Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text), AfterValidator(_plausible)]

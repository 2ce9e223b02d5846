"""The application's "now" for tests: whatever clock is in force (the system clock, or a FixedClock a
test put in with `tests.deps.use(clock=...)`). A test derives its dates, instants and signature
timestamps from here, never from `date.today()`, `datetime.now()` or `time.time()`, so a frozen clock
and the wall clock never meet in one test (and São Paulo's business date is used, not the machine's)."""

from __future__ import annotations

from datetime import date, datetime, timedelta


def app_now() -> datetime:
    from tests.deps import root

    now: datetime = root().clock.now()
    return now


def app_today() -> date:
    """Today's business date in São Paulo by the application's clock."""
    from chalicelib.platform.clock import business_date

    return business_date(app_now())


def app_timestamp() -> int:
    """Unix seconds by the application's clock (webhook signatures' `t`)."""
    return int(app_now().timestamp())


def days_ahead(days: int) -> str:
    """Today plus `days` calendar days as an ISO date (negative: before)."""
    return (app_today() + timedelta(days=days)).isoformat()


def instant_before(**delta: float) -> str:
    """An RFC 3339 instant that far before now (a payment that already happened)."""
    from chalicelib.platform.clock import rfc3339

    return rfc3339(app_now() - timedelta(**delta))


def instant_after(**delta: float) -> str:
    """An RFC 3339 instant that far after now (a date a client should not have sent)."""
    from chalicelib.platform.clock import rfc3339

    return rfc3339(app_now() + timedelta(**delta))

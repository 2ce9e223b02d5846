"""The payables schedule: each morning, late bills become overdue and the local provider pays what was
scheduled for the day (a rerun pays nothing twice)."""

from __future__ import annotations

from chalicelib.payables import service
from chalicelib.payables.service import PayableDeps


def run_daily(deps: PayableDeps) -> dict[str, int]:
    return service.run_daily(deps)

"""Use cases of metering: count, and read a month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.metering.model import check_counter, month_of
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import logger


class UsageRepository(Protocol):
    def add(self, tenant_id: str, month: str, counter: str, amount: int = 1) -> None: ...
    def month(self, tenant_id: str, month: str) -> dict[str, int]: ...


@dataclass(frozen=True)
class MeteringDeps:
    repo: UsageRepository
    clock: Clock


def meter(tenant_id: str, counter: str, at: datetime, deps: MeteringDeps, amount: int = 1) -> None:
    deps.repo.add(tenant_id, month_of(at), check_counter(counter), amount)


def meter_quietly(tenant_id: str, counter: str, deps: MeteringDeps) -> None:
    """Count one now; metering must never fail the request it counts."""
    try:
        meter(tenant_id, counter, deps.clock.now(), deps)
    except Exception:  # noqa: BLE001 - logged; a lost count is cheaper than a failed request
        logger.exception("usage not metered", extra={"counter": counter})


def usage_for(tenant_id: str, month: str, deps: MeteringDeps) -> dict[str, int]:
    return deps.repo.month(tenant_id, month)

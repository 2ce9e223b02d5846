"""The dunning queue and schedule: the daily dispatcher asks one run per tenant (`dunning.run_requested`),
and the queue's consumer runs it (once per event; the run itself is once per tenant and day)."""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.dunning import service
from chalicelib.dunning.service import DunningDeps
from chalicelib.platform.consumers import consume
from chalicelib.platform.events import Event

CONSUMER = "dunning"


def on_run_requested(event: Event, deps: DunningDeps) -> None:
    service.run(event.tenant_id, date.fromisoformat(event.data["date"]), deps)


HANDLERS = {"dunning.run_requested": on_run_requested}


def handle(lambda_event: dict[str, Any], deps: DunningDeps) -> dict[str, Any]:
    return consume(lambda_event, CONSUMER, HANDLERS, deps)


def run_schedule(deps: DunningDeps) -> dict[str, int]:
    """The daily schedule: one run asked for each tenant; how many were asked (0 when asked already)."""
    return {"runs_requested": service.request_runs(deps)}

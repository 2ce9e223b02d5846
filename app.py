"""Retaguarda's Chalice app: the entry point. It builds the composition root once per process and
hands each blueprint and each Lambda function its context's deps; nothing else is wired here."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable
from typing import Any

from chalice import Chalice

from chalicelib.bootstrap import Container
from chalicelib.catalog.api import api as catalog_api
from chalicelib.collections.api import api as collections_api
from chalicelib.dunning.api import api as dunning_api
from chalicelib.eventlog.api import api as eventlog_api
from chalicelib.invoicing.api import api as invoicing_api
from chalicelib.ledger.api import api as ledger_api
from chalicelib.metering.api import api as metering_api
from chalicelib.notifications.api import api as notifications_api
from chalicelib.orders.api import api as orders_api
from chalicelib.payables.api import api as payables_api
from chalicelib.platform.auth import auth_blueprint, provide_key_resolver
from chalicelib.platform.http import accept_any_when_unspecified, on_tenant_call, problem_from_chalice
from chalicelib.platform.meta_api import api as meta_api
from chalicelib.platform.observability import logger
from chalicelib.platform.resources import DEFINITIONS, Consumer, Schedule
from chalicelib.purchasing.api import api as purchasing_api
from chalicelib.reconciliation.api import api as reconciliation_api
from chalicelib.reports.api import api as reports_api
from chalicelib.stock.api import api as stock_api
from chalicelib.tenants.api import api as tenants_api
from chalicelib.webhooks.api import api as webhooks_api

app = Chalice(app_name="retaguarda")
# Bank files are bytes in the bank's charset (Windows-1252, Latin-1): API Gateway must not re-encode them
# (OFX 2.x as XML is UTF-8 by its spec; the NF-e XML we answer is text).
app.api.binary_types = ["application/pdf", "image/png", "application/octet-stream", "application/x-ofx", "text/plain"]

_root: list[Container] = []


def root() -> Container:
    """The process's container, built on first use (a cold start builds only what it touches)."""
    if not _root:
        _root.append(Container())
    return _root[0]


def install(container: Container | None) -> None:
    """Replace the process's container (tests, tools); None builds a fresh one on next use."""
    _root[:] = [container] if container is not None else []


provide_key_resolver(lambda: root().tenant_repository)
on_tenant_call(lambda tenant_id: root().meter(tenant_id, "api_calls"))
meta_api.provide(lambda: None)
tenants_api.provide(lambda: root().tenants)
eventlog_api.provide(lambda: root().event_log)
notifications_api.provide(lambda: root().notifications)
catalog_api.provide(lambda: root().catalog)
stock_api.provide(lambda: root().stock)
orders_api.provide(lambda: root().orders)
invoicing_api.provide(lambda: root().invoicing)
collections_api.provide(lambda: root().collections)
dunning_api.provide(lambda: root().dunning)
ledger_api.provide(lambda: root().ledger)
reconciliation_api.provide(lambda: root().reconciliation)
payables_api.provide(lambda: root().payables)
purchasing_api.provide(lambda: root().purchasing)
metering_api.provide(lambda: root().metering)
webhooks_api.provide(lambda: root().webhooks)
reports_api.provide(lambda: root().reports)

for blueprint in (auth_blueprint, meta_api, tenants_api, metering_api, eventlog_api, notifications_api, catalog_api,
                  stock_api, orders_api, invoicing_api, collections_api, dunning_api, ledger_api,
                  reconciliation_api, payables_api, purchasing_api, webhooks_api, reports_api):
    app.register_blueprint(blueprint)


@app.middleware("http")
def request_logging(event: Any, get_response: Any) -> Any:
    request_id = (event.context or {}).get("requestId") or str(uuid.uuid4())
    # Thread-safe keys: chalice local serves requests on threads (one per request in Lambda anyway).
    logger.thread_safe_append_keys(request_id=request_id)
    accept_any_when_unspecified(event)
    try:
        response = problem_from_chalice(get_response(event))
        response.headers.setdefault("X-Request-Id", str(request_id or ""))
        logger.info("request", extra={"method": event.method, "path": event.path,
                                      "status": response.status_code})
        return response
    finally:
        logger.thread_safe_remove_keys(["request_id", "tenant_id", "key_id"])


@app.lambda_function(name="publish_events")
def publish_events(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """DynamoDB stream (outbox items) → EventBridge."""
    from chalicelib.platform.publisher import publish_stream_batch

    return publish_stream_batch(event, root().event_bus, root().clock)


def _consumer(consumer: Consumer) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    def run(event: dict[str, Any], context: Any) -> dict[str, Any]:
        handle = importlib.import_module(consumer.module).handle  # imported by the function that runs it
        result: dict[str, Any] = handle(event, getattr(root(), consumer.deps) if consumer.deps else None)
        return result

    run.__name__, run.__doc__ = consumer.handler, consumer.description
    return run


def _schedule(schedule: Schedule) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    def run(event: dict[str, Any], context: Any) -> dict[str, Any]:
        function = getattr(importlib.import_module(schedule.module), schedule.function)
        result: dict[str, Any] = function(getattr(root(), schedule.deps) if schedule.deps else None)
        return result

    run.__name__, run.__doc__ = schedule.handler, schedule.description
    return run


# One Lambda function per declared consumer and schedule (platform/resources.py), under the declared name.
for _consumer_decl in DEFINITIONS.consumers:
    globals()[_consumer_decl.handler] = app.lambda_function(name=_consumer_decl.handler)(_consumer(_consumer_decl))
for _schedule_decl in DEFINITIONS.schedules:
    globals()[_schedule_decl.handler] = app.lambda_function(name=_schedule_decl.handler)(_schedule(_schedule_decl))

"""Webhooks' behaviour over the in-memory table, moto and DynamoDB Local: one delivery per (endpoint, event)
however often the fan-out runs; a delivery's version guards its attempts, so eight workers handed the same
message at once make one POST; pending deliveries are found by the sweep's index only while pending; an
endpoint's failure streak starts once and ends once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.platform.clock import rfc3339
from chalicelib.platform.events import Event
from chalicelib.webhooks import service
from tests.deps import root
from tests.integration.repo_helpers import new_tenant
from tests.integration.test_stock_concurrency import run_concurrently
from tests.webhook_doubles import Queue, Receiver

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)


@pytest.fixture
def hooks(store):
    from chalicelib.platform.clock import FixedClock
    from tests.deps import use

    receiver, queue = Receiver(), Queue()
    use(clock=FixedClock(NOW), webhook_sender=receiver, webhook_queue=queue)
    return receiver, queue


def _event(tenant: str) -> Event:
    from chalicelib.platform.dynamo import UnitOfWork
    from chalicelib.platform.events import stage_event

    event = root().events.make(tenant, "product.created", {"product": {"sku": "X"}})
    uow = UnitOfWork()
    stage_event(uow, event)
    uow.commit()
    return event


def test_one_delivery_per_endpoint_and_event_and_one_post_for_eight_workers(hooks, store):
    if store == "moto":
        pytest.skip("moto's in-process DynamoDB does not serialize conditional writes across threads")
    receiver, queue = hooks
    tenant = new_tenant()
    endpoint, _ = service.create_endpoint(tenant, "https://hooks.example.com/a", ["*"], None, root().webhooks)
    event = _event(tenant)
    for _ in range(3):
        service.fan_out(event, root().webhooks)
    refs = {m[0]["webhook_delivery"]["delivery_id"] for m in queue.messages}
    assert len(refs) == 1
    [ref] = refs
    outcomes = run_concurrently(8, lambda _: service.attempt(tenant, endpoint.id, ref, root().webhooks))
    assert outcomes["delivered"] == 1 and [c[2]["webhook-id"] for c in receiver.calls] == [event.id], outcomes
    page = root().webhooks.repo.list_deliveries(tenant, endpoint.id, None, 10, None)
    assert [d.status for d in page.items] == ["delivered"]
    assert root().webhooks.repo.list_deliveries(tenant, endpoint.id, "pending", 10, None).items == []


def test_the_sweep_index_holds_pending_deliveries_only(hooks):
    tenant = new_tenant()
    webhooks = root().webhooks
    endpoint, _ = service.create_endpoint(tenant, "https://hooks.example.com/a", ["*"], None, webhooks)
    service.fan_out(_event(tenant), webhooks)
    soon = rfc3339(NOW + timedelta(minutes=1))
    [(t, e, d, at)] = [row for row in webhooks.repo.due(soon, 100) if row[0] == tenant]
    assert (t, e, at) == (tenant, endpoint.id, rfc3339(NOW))
    service.attempt(tenant, endpoint.id, d, webhooks)
    assert [row for row in webhooks.repo.due(soon, 100) if row[0] == tenant] == []


def test_a_failure_streak_starts_once_and_ends_once(hooks):
    tenant = new_tenant()
    repo = root().webhooks.repo
    endpoint, _ = service.create_endpoint(tenant, "https://hooks.example.com/a", ["*"], None, root().webhooks)
    assert repo.mark_failing(tenant, endpoint.id, "2026-03-02T15:00:00.000Z") == "2026-03-02T15:00:00.000Z"
    assert repo.mark_failing(tenant, endpoint.id, "2026-03-03T15:00:00.000Z") == "2026-03-02T15:00:00.000Z"
    assert repo.get_endpoint(tenant, endpoint.id)[1] == "2026-03-02T15:00:00.000Z"
    repo.mark_recovered(tenant, endpoint.id)
    repo.mark_recovered(tenant, endpoint.id)
    assert repo.get_endpoint(tenant, endpoint.id)[1] is None
    assert repo.mark_failing(tenant, "whe_01KJQH0CC063CE0GKJY3V6W9MW", "2026-03-02T15:00:00.000Z") is None


def test_the_log_reads_a_period_oldest_first_after_an_id(hooks):
    tenant = new_tenant()
    log = root().event_log
    root().clock.advance(seconds=1)  # type: ignore[attr-defined]  # after the tenant's own event
    start = root().clock.now()
    made = []
    for _ in range(5):
        made.append(_event(tenant))
        root().clock.advance(minutes=1)  # type: ignore[attr-defined]
    got = log.between(tenant, start, start + timedelta(minutes=3), None, 10)
    assert [e.id for e in got] == [e.id for e in made[:4]]
    assert [e.id for e in log.between(tenant, start, start + timedelta(hours=1), made[1].id, 2)] == [made[2].id,
                                                                                                    made[3].id]

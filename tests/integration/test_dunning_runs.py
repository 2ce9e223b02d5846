"""The dunning run exactly once, over the in-memory table, moto and DynamoDB Local: one tenant's day run
by 8 callers at once, run again, a crashed run resumed after its lease, the schedule dispatching twice and
its job redelivered. The clock stands on Monday 2026-03-02 and every date comes from it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.api.conftest import tenant_body
from tests.api.test_catalog import customer_body
from tests.integration.test_stock_concurrency import run_concurrently

MONDAY = date(2026, 3, 2)


@pytest.fixture
def shop(store):
    from chalicelib.catalog import service as catalog
    from chalicelib.collections import service as charges
    from chalicelib.platform.clock import FixedClock
    from chalicelib.tenants import service as tenants
    from tests.deps import root, use

    use(clock=FixedClock(datetime(2026, 3, 2, 15, tzinfo=UTC)))
    tenant, _, _ = tenants.create_tenant(tenants.NewTenant(**tenant_body()), root().tenants)
    # WhatsApp (the recording adapter) keeps the test off SES, which the in-memory store does not mock.
    tenants.update_settings(tenant.id, {"dunning": {"steps": [
        {"offset_days": -3, "channel": "whatsapp", "template": "upcoming"}]}}, root().tenants)
    customers = [catalog.create_customer(tenant.id, customer_body(document=document), root().catalog)
                 for document in ("52998224725", "11144477735")]
    made = [charges.create_charge(tenant.id, charges.NewCharge(
        customer_id=c.id, amount_cents=1000 * (i + 1), due_date=MONDAY + timedelta(days=3), method="pix",
        description="x"), root().collections) for c in customers for i in range(2)]
    return tenant.id, made


def sent(tenant_id: str) -> list[dict]:
    from tests.deps import root

    return [n for n in root().notification_repository.list(tenant_id, 100, None).items
            if n.get("dunning_run_id")]


def test_eight_runs_of_one_day_at_once_send_each_step_once(shop, store):
    from chalicelib.dunning import service
    from tests.deps import root

    if store == "moto":
        pytest.skip("moto's in-process DynamoDB does not serialize conditional writes across threads")

    tenant_id, charges = shop
    ran = run_concurrently(8, lambda _: "ran" if service.run(tenant_id, MONDAY, root().dunning)[1] else "first")
    assert ran["ran"] >= 1 and sum(ran.values()) == 8, ran
    messages = sent(tenant_id)
    assert len(messages) == 2  # one per customer, both charges of each in it
    assert sorted(c for m in messages for c in m["charge_ids"]) == sorted(c.id for c in charges)
    final, again = service.run(tenant_id, MONDAY, root().dunning)
    assert not again and (final["status"], final["steps_sent"], final["messages_sent"]) == ("completed", 4, 2)


def test_a_crashed_run_is_resumed_and_sends_what_it_had_not(shop, monkeypatch):
    from chalicelib.dunning import service
    from tests.deps import root

    tenant_id, _ = shop
    deps = root().dunning
    calls = []

    def crash_on_second(*args):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("Lambda timed out")
        return real_send(*args)

    real_send = deps.send
    import dataclasses

    with pytest.raises(RuntimeError):
        service.run(tenant_id, MONDAY, dataclasses.replace(deps, send=crash_on_second))
    assert len(sent(tenant_id)) == 1
    # A failure it saw ends its lease at once; a crash (the process gone) leaves the lease to expire.
    deps.repo.claim_run(tenant_id, {"date": MONDAY.isoformat()}, int(service.time.time()), 60)
    running, ran = service.run(tenant_id, MONDAY, deps)  # its lease holds: nobody else runs it yet
    assert not ran and running["status"] == "running"
    later = int(running["lease_until"]) + 1
    monkeypatch.setattr(service.time, "time", lambda: later)
    resumed, ran = service.run(tenant_id, MONDAY, deps)
    assert ran and resumed["id"] == running["id"]
    assert (resumed["status"], resumed["steps_sent"], resumed["messages_sent"]) == ("completed", 4, 2)
    assert len(sent(tenant_id)) == 2  # the first customer's message was not sent again


def test_the_schedule_asks_once_per_tenant_and_a_redelivered_job_runs_once(shop):
    from chalicelib.dunning import service
    from chalicelib.dunning.handlers import handle
    from tests.deps import root

    tenant_id, _ = shop
    deps = root().dunning
    assert service.request_runs(deps) >= 1
    assert service.request_runs(deps) == 0  # the same day again asks nothing
    [event] = root().event_log.list(tenant_id, "dunning.run_requested", 10, None).items[0:1]
    message = {"messageId": "m1", "body": json.dumps({"detail": event[0].envelope()})}
    for message_id in ("m1", "m2"):
        assert handle({"Records": [dict(message, messageId=message_id)]}, deps) == {"batchItemFailures": []}
    assert len(sent(tenant_id)) == 2
    assert deps.repo.get_run(tenant_id, MONDAY.isoformat())["messages_sent"] == 2

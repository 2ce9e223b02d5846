"""The three small record keepers, each with its behaviour over the in-memory table, moto and DynamoDB
Local: notifications (written once, newest first, filtered), the monthly usage counters (atomic adds),
and the event log (the outbox items read back, by type, marked published once)."""

from __future__ import annotations

import pytest
from pynamodb.exceptions import PutError

from chalicelib.platform.dynamo import UnitOfWork
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.events import stage_event
from tests.deps import root
from tests.integration.repo_helpers import read_all

TENANT = "ten_01JRECORDSRECORDSRECORDSRE"
OTHER = "ten_01JOTHEROTHEROTHEROTHEROT"


def note(n: int, **fields) -> dict:
    return {"id": f"ntf_01J{n:023d}", "channel": "email", "status": "sent", **fields}


# Notifications
def test_a_notification_is_written_once_and_read_back(store):
    repo = root().notification_repository
    repo.add(TENANT, note(1, customer_id="cus_1"))
    with pytest.raises(PutError):
        repo.add(TENANT, note(1, customer_id="cus_2"))
    assert repo.get(TENANT, note(1)["id"])["customer_id"] == "cus_1"
    with pytest.raises(NotFoundError):
        repo.get(OTHER, note(1)["id"])


def test_notifications_are_listed_newest_first_and_filtered(store):
    repo = root().notification_repository
    repo.add(TENANT, note(1, customer_id="cus_1", invoice_id="inv_1"))
    repo.add(TENANT, note(2, customer_id="cus_2", charge_ids=["chg_1", "chg_2"], channel="whatsapp"))
    repo.add(TENANT, note(3, customer_id="cus_1", charge_ids=["chg_2"]))
    repo.add(OTHER, note(4, customer_id="cus_1"))
    for limit in (1, 2, 10):
        def ids(n=limit, **filters):
            return [d["id"][-1] for d in read_all(lambda k, c: repo.list(TENANT, k, c, **filters), n)]

        assert ids() == ["3", "2", "1"]
        assert ids(customer_id="cus_1") == ["3", "1"]
        assert ids(charge_id="chg_2") == ["3", "2"]
        assert ids(charge_id="chg_1") == ["2"]
        assert ids(invoice_id="inv_1") == ["1"]
        assert ids(channel="whatsapp") == ["2"]
        assert ids(customer_id="cus_1", charge_id="chg_2") == ["3"]


# Usage
def test_usage_counts_add_up_per_tenant_month_and_counter(store):
    repo = root().metering.repo
    assert repo.month(TENANT, "2026-03") == dict.fromkeys(("api_calls", "orders", "invoices", "charges",
                                                            "notifications", "storage_items"), 0)
    for _ in range(3):
        repo.add(TENANT, "2026-03", "orders")
    repo.add(TENANT, "2026-03", "api_calls", 40)
    repo.add(TENANT, "2026-04", "orders")
    repo.add(OTHER, "2026-03", "orders", 7)
    march = repo.month(TENANT, "2026-03")
    assert (march["orders"], march["api_calls"], march["invoices"]) == (3, 40, 0)
    assert repo.month(TENANT, "2026-04")["orders"] == 1 and repo.month(OTHER, "2026-03")["orders"] == 7


# Event log
def stage(*types: str) -> list[str]:
    uow = UnitOfWork()
    made = [root().events.make(TENANT, t, {"n": i}) for i, t in enumerate(types)]
    for event in made:
        stage_event(uow, event)
    uow.commit()
    return [e.id for e in made]


def test_events_are_listed_newest_first_and_by_type(store):
    ids = stage("order.confirmed", "charge.created", "order.confirmed")
    log = root().event_log
    for limit in (1, 2, 10):
        assert [e.id for e, _ in read_all(lambda n, c: log.list(TENANT, None, n, c), limit)] == ids[::-1]
        typed = read_all(lambda n, c: log.list(TENANT, "order.confirmed", n, c), limit)
        assert [e.id for e, _ in typed] == [ids[2], ids[0]]
    assert log.list(OTHER, None, 10, None).items == []


def test_an_event_reads_back_whole_and_is_marked_published_once(store):
    from chalicelib.platform.publisher import _mark_published

    (event_id,) = stage("invoice.authorized")
    log = root().event_log
    event, published = log.get(TENANT, event_id)
    assert (event.type, event.data, published) == ("invoice.authorized", {"n": 0}, None)
    _mark_published(event, "2026-03-02T12:00:00Z")
    _mark_published(event, "2026-03-02T12:05:00Z")  # a redelivery keeps the first mark
    assert log.get(TENANT, event_id)[1] == "2026-03-02T12:00:00Z"
    with pytest.raises(NotFoundError):
        log.get(OTHER, event_id)

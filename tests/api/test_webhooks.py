"""Outbound webhooks through the API: endpoints, signed deliveries, retries on a frozen clock, disabling,
rotation, manual retry, replay and the sweep. The receiver is a test double of the Sender port (the real
HTTP sender is tested against a loopback server in tests/integration, and end to end in tests/e2e); the
queue is a recording double, pumped here in delay order with the clock moved to each message's time."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.api.test_catalog import call, fields, product_body
from tests.unit.test_webhook_signing import spec_verify
from tests.webhook_doubles import Queue, Receiver

URL = "https://hooks.partner.example.com/retaguarda"


@pytest.fixture
def hooks(monday):
    from tests.deps import use

    receiver, queue = Receiver(), Queue()
    use(webhook_sender=receiver, webhook_queue=queue)
    return receiver, queue


def pump(clock, queue: Queue, events: list[dict[str, Any]] = (), limit: int = 50) -> list[int]:
    """Hand the bus's events, then every queued message, to the webhooks consumer; a delayed message is
    handed over once the clock reaches it. Answers the delays seen."""
    import app

    for event in events:
        message = {"messageId": event["id"], "body": json.dumps({"detail-type": event["type"], "detail": event})}
        assert app.webhooks_consumer({"Records": [message]}, None) == {"batchItemFailures": []}
    delays = []
    for _ in range(limit):
        if not queue.messages:
            break
        queue.messages.sort(key=lambda m: m[1])
        body, delay = queue.messages.pop(0)
        delays.append(delay)
        clock.advance(seconds=delay)
        for other in range(len(queue.messages)):
            queue.messages[other] = (queue.messages[other][0], max(0, queue.messages[other][1] - delay))
        answer = app.webhooks_consumer({"Records": [{"messageId": "m", "body": json.dumps(body)}]}, None)
        assert answer == {"batchItemFailures": []}
    return delays


def sweeps_until(clock, queue: Queue, done: Any, limit: int = 1000) -> None:
    """The sweep's schedule, five minutes at a time, until `done()`."""
    import app

    for _ in range(limit):
        if done():
            return
        clock.advance(minutes=5)
        assert app.webhooks_sweep({}, None)["queued"] >= 0
        pump(clock, queue)
    raise AssertionError("not done after the sweeps")


def endpoint(http, tenant, **overrides: Any) -> dict[str, Any]:
    status, body = call(http, tenant, "POST", "/v1/webhook-endpoints", {"url": URL, "events": ["*"], **overrides})
    assert status == 201, body
    return body


def new_events(http, tenant, n: int = 1, event_type: str = "product.created") -> list[dict[str, Any]]:
    before = {e["id"] for e in call(http, tenant, "GET", f"/v1/events?type={event_type}&limit=100")[1]["data"]}
    for _ in range(n):
        import uuid

        status, body = call(http, tenant, "POST", "/v1/products",
                            product_body(sku=f"SKU-{uuid.uuid4().hex[:8].upper()}", gtin=None))
        assert status == 201, body
    fresh = [e for e in call(http, tenant, "GET", f"/v1/events?type={event_type}&limit=100")[1]["data"]
             if e["id"] not in before]
    return [{k: e[k] for k in ("id", "type", "tenant_id", "occurred_at", "data")} for e in reversed(fresh)]


def deliveries(http, tenant, endpoint_id: str) -> list[dict[str, Any]]:
    status, body = call(http, tenant, "GET", f"/v1/webhook-endpoints/{endpoint_id}/deliveries")
    assert status == 200, body
    return body["data"]


def test_an_endpoint_is_registered_with_a_secret_shown_once(monday, http, tenant, hooks):
    created = endpoint(http, tenant, events=["order.*", "charge.paid"], description="ERP do parceiro")
    assert created["id"].startswith("whe_") and created["secret"].startswith("whsec_")
    assert created["events"] == ["charge.paid", "order.*"] and created["disabled"] is False
    status, got = call(http, tenant, "GET", f"/v1/webhook-endpoints/{created['id']}")
    assert status == 200 and "secret" not in got and got["url"] == URL
    listed = call(http, tenant, "GET", "/v1/webhook-endpoints")[1]["data"]
    assert [e["id"] for e in listed] == [created["id"]] and "secret" not in listed[0]
    from chalicelib.webhooks import keys
    from chalicelib.webhooks.repository import EndpointRecord

    key = keys.endpoint(tenant["id"], created["id"])
    assert created["secret"] not in json.dumps(EndpointRecord.get(key.pk, key.sk).doc)  # sealed at rest


@pytest.mark.parametrize("url", ["http://hooks.partner.example.com/x", "https://10.0.0.7/x", "https://127.0.0.1/x",
                                 "https://169.254.169.254/latest/meta-data", "https://localhost/x",
                                 "https://user:pw@hooks.partner.example.com/", "ftp://example.com/x",
                                 "https://[::1]/x", "https://metadata.google.internal/"])
def test_an_endpoint_that_could_reach_inside_is_refused(monday, http, tenant, hooks, url):
    status, problem = call(http, tenant, "POST", "/v1/webhook-endpoints", {"url": url, "events": ["*"]})
    assert status == 400 and fields(problem) == {"url"}, problem


def test_unknown_event_filters_are_refused_naming_events(monday, http, tenant, hooks):
    for events in (["order.exploded"], [], ["nope.*"], ["ORDER.confirmed"]):
        status, problem = call(http, tenant, "POST", "/v1/webhook-endpoints", {"url": URL, "events": events})
        assert status == 400 and any(f.startswith("events") for f in fields(problem)), (events, problem)
    assert call(http, tenant, "GET", "/v1/webhook-endpoints")[1]["data"] == []


def test_an_event_is_delivered_signed_and_verifies_with_the_reference_library(monday, http, tenant, hooks):
    receiver, queue = hooks
    created = endpoint(http, tenant)
    events = new_events(http, tenant)
    pump(monday, queue, events)
    assert len(receiver.calls) == 1
    url, body, headers = receiver.calls[0]
    assert url == URL and headers["webhook-id"] == events[0]["id"]
    assert headers["webhook-timestamp"] == str(int(monday.now().timestamp()))
    verified = Webhook(created["secret"]).verify(body, headers)  # the reference verifier, and ours from the spec
    assert spec_verify(created["secret"], headers, body, int(monday.now().timestamp()))
    assert verified["id"] == events[0]["id"] and verified["type"] == "product.created"
    with pytest.raises(WebhookVerificationError):
        Webhook(created["secret"]).verify(body.replace(b"product", b"pr0duct"), headers)
    [delivery] = deliveries(http, tenant, created["id"])
    assert delivery["status"] == "delivered" and delivery["status_code"] == 200 and delivery["attempt"] == 1
    assert delivery["event_id"] == events[0]["id"] and delivery["next_attempt_at"] is None
    assert delivery["id"].startswith("whd_") and delivery["duration_ms"] == 12


@pytest.fixture(autouse=True)
def _wall_clock_tolerance(monkeypatch):
    """The reference verifier compares `webhook-timestamp` with the machine's clock (5 minutes of tolerance):
    our app clock is frozen in 2026-03, so the verifier is told that instant too."""
    import standardwebhooks.webhooks as reference

    from tests.clock import app_now

    class _Frozen:
        @staticmethod
        def now(tz=None):
            return app_now()

        @staticmethod
        def fromtimestamp(ts, tz=None):
            from datetime import datetime

            return datetime.fromtimestamp(ts, tz=tz)

    monkeypatch.setattr(reference, "datetime", _Frozen, raising=False)


def test_a_receiver_failing_three_times_gets_exactly_one_accepted_delivery_on_the_schedule(monday, http, tenant, hooks):
    receiver, queue = hooks
    created = endpoint(http, tenant)
    receiver.script = [500, 0, 503]
    events = new_events(http, tenant)
    delays = pump(monday, queue, events)
    assert len(receiver.calls) == 3  # immediately, then 5 s and 5 min through SQS's delay, each shortened by
    assert delays[0] == 0            # at most 15 % of jitter
    for got, base in zip(delays[1:], (5, 300), strict=True):
        assert 0.85 * base - 1 <= got <= base, delays
    [pending] = deliveries(http, tenant, created["id"])
    wait = datetime.fromisoformat(pending["next_attempt_at"]) - monday.now()
    assert timedelta(minutes=25.5) - timedelta(seconds=1) <= wait <= timedelta(minutes=30)  # beyond SQS: the sweep's
    sweeps_until(monday, queue, lambda: len(receiver.calls) == 4)
    assert len({c[2]["webhook-id"] for c in receiver.calls}) == 1  # the same message id on every retry
    [delivery] = deliveries(http, tenant, created["id"])
    assert delivery["status"] == "delivered" and delivery["attempt"] == 4
    assert [a["status_code"] for a in delivery["attempts"]] == [500, None, 503, 200]
    assert delivery["attempts"][1]["error"].startswith("ConnectionRefusedError")
    got = call(http, tenant, "GET", f"/v1/webhook-endpoints/{created['id']}")[1]
    assert got["failing_since"] is None  # the success ended the streak


def test_a_delivery_message_seen_twice_posts_once(monday, http, tenant, hooks):
    receiver, queue = hooks
    endpoint(http, tenant)
    events = new_events(http, tenant)
    pump(monday, queue, events + events)  # the bus delivered the event twice
    assert len(receiver.calls) == 1


def test_a_long_backoff_waits_for_the_sweep_and_the_schedule_ends_in_failed(monday, http, tenant, hooks):
    receiver, queue = hooks
    start = monday.now()
    created = endpoint(http, tenant)
    receiver.script = [500] * 20
    pump(monday, queue, new_events(http, tenant))
    assert len(receiver.calls) == 3  # 0, 5 s, 5 min: the next (30 min) is beyond SQS's 15 minutes
    [delivery] = deliveries(http, tenant, created["id"])
    assert delivery["status"] == "pending" and delivery["next_attempt_at"] > monday.now().isoformat()[:19]
    sweeps_until(monday, queue, lambda: len(receiver.calls) == 4)  # the sweep put it back when its time came
    assert monday.now() - start >= timedelta(minutes=30)
    sweeps_until(monday, queue, lambda: len(receiver.calls) == 12)
    assert timedelta(hours=57) <= monday.now() - start <= timedelta(hours=68)  # about three days of retries
    [delivery] = deliveries(http, tenant, created["id"])
    assert delivery["status"] == "failed" and delivery["attempt"] == 12 and delivery["next_attempt_at"] is None
    assert call(http, tenant, "GET", f"/v1/webhook-endpoints/{created['id']}")[1]["disabled"] is False


def test_a_410_disables_the_endpoint_at_once_with_an_event(monday, http, tenant, hooks):
    receiver, queue = hooks
    created = endpoint(http, tenant, events=["product.*"])
    receiver.script = [410]
    pump(monday, queue, new_events(http, tenant))
    got = call(http, tenant, "GET", f"/v1/webhook-endpoints/{created['id']}")[1]
    assert got["disabled"] is True and got["disabled_reason"] == "gone"
    [disabled] = call(http, tenant, "GET", "/v1/events?type=webhook_endpoint.disabled")[1]["data"]
    assert disabled["data"] == {"id": created["id"], "url": URL, "reason": "gone"}
    pump(monday, queue, new_events(http, tenant))
    assert len(receiver.calls) == 1  # a disabled endpoint takes nothing
    status, body = call(http, tenant, "PATCH", f"/v1/webhook-endpoints/{created['id']}", {"disabled": False})
    assert status == 200, body
    pump(monday, queue, new_events(http, tenant))
    assert len(receiver.calls) == 2


def test_an_endpoint_failing_for_five_days_is_disabled(monday, http, tenant, hooks):
    receiver, queue = hooks
    created = endpoint(http, tenant, events=["product.created"])
    receiver.script = [500] * 100
    pump(monday, queue, new_events(http, tenant), limit=1)
    monday.advance(days=4, hours=23)
    pump(monday, queue, new_events(http, tenant), limit=1)
    assert call(http, tenant, "GET", f"/v1/webhook-endpoints/{created['id']}")[1]["disabled"] is False
    monday.advance(hours=1)
    queue.messages.clear()
    pump(monday, queue, new_events(http, tenant), limit=1)
    got = call(http, tenant, "GET", f"/v1/webhook-endpoints/{created['id']}")[1]
    assert got["disabled"] is True and got["disabled_reason"] == "failing_for_5_days"


def test_after_a_rotation_both_secrets_sign_for_24_hours(monday, http, tenant, hooks):
    receiver, queue = hooks
    created = endpoint(http, tenant)
    status, rotated = call(http, tenant, "POST", f"/v1/webhook-endpoints/{created['id']}/rotate-secret", {})
    assert status == 200 and rotated["secret"] != created["secret"] and rotated["secret"].startswith("whsec_")
    pump(monday, queue, new_events(http, tenant))
    _, body, headers = receiver.calls[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (created["secret"], rotated["secret"]):
        Webhook(secret).verify(body, headers)
    monday.advance(hours=24, seconds=1)
    pump(monday, queue, new_events(http, tenant))
    _, body, headers = receiver.calls[-1]
    assert len(headers["webhook-signature"].split(" ")) == 1
    Webhook(rotated["secret"]).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(created["secret"]).verify(body, headers)


def test_filters_choose_what_an_endpoint_takes(monday, http, tenant, hooks):
    receiver, queue = hooks
    endpoint(http, tenant, events=["charge.*"])
    takes_products = endpoint(http, tenant, url=URL + "/products", events=["product.created"])
    pump(monday, queue, new_events(http, tenant, 2))
    assert {c[0] for c in receiver.calls} == {takes_products["url"]} and len(receiver.calls) == 2


def test_a_failed_delivery_is_retried_by_hand(monday, http, tenant, hooks):
    receiver, queue = hooks
    created = endpoint(http, tenant)
    receiver.script = [500] * 4
    pump(monday, queue, new_events(http, tenant))
    [delivery] = deliveries(http, tenant, created["id"])
    status, retried = call(http, tenant, "POST",
                           f"/v1/webhook-endpoints/{created['id']}/deliveries/{delivery['id']}/retry", {})
    assert status == 202 and retried["status"] == "pending"
    pump(monday, queue)
    [delivery] = deliveries(http, tenant, created["id"])
    assert delivery["status"] == "delivered" and delivery["attempt"] == 5
    status, _ = call(http, tenant, "POST", f"/v1/webhook-endpoints/{created['id']}/deliveries/whd_x/retry", {})
    assert status == 404


def test_a_replay_delivers_what_the_endpoint_missed_once(monday, http, tenant, hooks):
    receiver, queue = hooks
    start = monday.now()
    missed = new_events(http, tenant, 3)  # before the endpoint existed
    monday.advance(minutes=1)
    created = endpoint(http, tenant, events=["product.created"])
    status, answer = call(http, tenant, "POST", f"/v1/webhook-endpoints/{created['id']}/replay",
                          {"from": start.isoformat()})
    assert status == 202 and answer["status"] == "queued" and answer["from"].startswith(start.isoformat()[:19])
    pump(monday, queue)
    assert sorted(c[2]["webhook-id"] for c in receiver.calls) == sorted(e["id"] for e in missed)
    call(http, tenant, "POST", f"/v1/webhook-endpoints/{created['id']}/replay", {"from": start.isoformat()})
    pump(monday, queue)
    assert len(receiver.calls) == 3  # what it received is not sent again
    status, problem = call(http, tenant, "POST", f"/v1/webhook-endpoints/{created['id']}/replay",
                           {"from": (monday.now() + timedelta(days=1)).isoformat()})
    assert status == 400 and fields(problem) == {"from"}


def test_patch_and_delete(monday, http, tenant, hooks):
    created = endpoint(http, tenant)
    status, patched = call(http, tenant, "PATCH", f"/v1/webhook-endpoints/{created['id']}",
                           {"url": URL + "/v2", "events": ["order.confirmed"], "description": "v2"})
    assert status == 200 and patched["url"] == URL + "/v2" and patched["events"] == ["order.confirmed"]
    status, problem = call(http, tenant, "PATCH", f"/v1/webhook-endpoints/{created['id']}", {"url": "https://10.1.1.1/"})
    assert status == 400 and fields(problem) == {"url"}
    status, problem = call(http, tenant, "PATCH", f"/v1/webhook-endpoints/{created['id']}", {"events": None})
    assert status == 400
    status, deleted = call(http, tenant, "DELETE", f"/v1/webhook-endpoints/{created['id']}")
    assert status == 200 and deleted["id"] == created["id"]
    for method in ("GET", "DELETE"):
        assert call(http, tenant, method, f"/v1/webhook-endpoints/{created['id']}")[0] == 404
    assert call(http, tenant, "GET", "/v1/webhook-endpoints/whe_nope")[0] == 404


def test_the_event_log_reads_a_period(monday, http, tenant, hooks):
    first = new_events(http, tenant, 2)
    monday.advance(hours=1)
    middle = monday.now()
    second = new_events(http, tenant, 2)
    q = middle.isoformat().replace("+00:00", "Z")
    status, body = call(http, tenant, "GET", f"/v1/events?type=product.created&from={q}")
    assert status == 200 and [e["id"] for e in body["data"]] == [e["id"] for e in reversed(second)]
    before = (middle - timedelta(seconds=1)).isoformat().replace("+00:00", "Z")  # `to` is inclusive
    status, body = call(http, tenant, "GET", f"/v1/events?to={before}&type=product.created")
    assert [e["id"] for e in body["data"]] == [e["id"] for e in reversed(first)]
    status, body = call(http, tenant, "GET", f"/v1/events?from={q}")
    assert {e["id"] for e in second} <= {e["id"] for e in body["data"]}
    assert not {e["id"] for e in first} & {e["id"] for e in body["data"]}
    status, problem = call(http, tenant, "GET", "/v1/events?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z")
    assert status == 400 and problem["status"] == 400


def test_events_expire_after_thirty_days(monday, http, tenant, hooks):
    from chalicelib.platform import keys
    from chalicelib.platform.events import EventRecord

    [event] = new_events(http, tenant)
    key = keys.event(tenant["id"], event["id"])
    record = EventRecord.get(key.pk, key.sk)
    assert record.expires_at == int((monday.now() + timedelta(days=30)).timestamp())

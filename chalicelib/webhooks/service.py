"""Use cases of outbound webhooks: endpoints registered, changed, rotated and removed; each event fanned
out to the endpoints that take it (one delivery per pair); each delivery attempted, at most one attempt in
flight, until a 2xx or the end of the schedule; deliveries retried and periods replayed by hand.

The queue is the clock: a failed attempt puts its delivery back on the webhooks queue with SQS's delay when
the next attempt is within 15 minutes, and the sweep (every 5 minutes) puts back those due soon whose delay
was longer; no Lambda sleeps. Every message may arrive twice or late: an attempt first claims its delivery
(its version moves, its next attempt becomes a lease a minute ahead), so a duplicate finds nothing due and a
crashed attempt is swept up once its lease ends.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.platform.clock import Clock, rfc3339
from chalicelib.platform.dynamo import UnitOfWork, retry_lost_races
from chalicelib.platform.errors import ConflictError, FieldError, InvalidRequestError, InvalidStateError, NotFoundError
from chalicelib.platform.events import Event, EventFactory, stage_event
from chalicelib.platform.ids import IdGenerator
from chalicelib.platform.observability import logger
from chalicelib.platform.pagination import Page
from chalicelib.webhooks import signing, urls
from chalicelib.webhooks.model import (
    ATTEMPT_LEASE,
    DISABLE_AFTER,
    KEPT_ATTEMPTS,
    MAX_ENDPOINTS,
    ROTATION_OVERLAP,
    Attempt,
    Delivery,
    Endpoint,
    SealedSecret,
    delivery_id,
    envelope_body,
    retry_delay,
    unknown_patterns,
)
from chalicelib.webhooks.sender import Outcome, Sender

SQS_MAX_DELAY = timedelta(seconds=900)
SWEEP_WINDOW = timedelta(minutes=6)  # the sweep runs every 5 minutes: each looks a little past the next
SWEEP_LIMIT = 1000
REPLAY_PAGE = 100
EARLY = timedelta(seconds=2)  # a message may arrive this much before its delivery is due
GONE = "gone"
FAILING = "failing_for_5_days"


class WebhookRepository(Protocol):
    def stage_new_endpoint(self, uow: UnitOfWork, tenant_id: str, endpoint: Endpoint) -> None: ...
    def stage_endpoint_update(self, uow: UnitOfWork, tenant_id: str, endpoint: Endpoint, expected_version: int,
                              on_fail: Callable[[], None], failing_since: str | bool | None = False) -> None: ...
    def get_endpoint(self, tenant_id: str, endpoint_id: str) -> tuple[Endpoint, str | None]: ...
    def endpoints(self, tenant_id: str) -> list[Endpoint]: ...
    def list_endpoints(self, tenant_id: str, limit: int, cursor: str | None) -> Page[tuple[Endpoint, str | None]]: ...
    def delete_endpoint(self, tenant_id: str, endpoint_id: str) -> None: ...
    def mark_failing(self, tenant_id: str, endpoint_id: str, at: str) -> str | None: ...
    def mark_recovered(self, tenant_id: str, endpoint_id: str) -> None: ...
    def create_delivery(self, tenant_id: str, delivery: Delivery) -> bool: ...
    def save_delivery(self, tenant_id: str, delivery: Delivery, expected_version: int) -> bool: ...
    def get_delivery(self, tenant_id: str, endpoint_id: str, delivery_id: str) -> Delivery | None: ...
    def list_deliveries(self, tenant_id: str, endpoint_id: str, status: str | None, limit: int,
                        cursor: str | None) -> Page[Delivery]: ...
    def due(self, before: str, limit: int) -> list[tuple[str, str, str, str]]: ...


class Secrets(Protocol):
    def seal(self, secret: str, bound_to: str) -> dict[str, str]: ...
    def open(self, sealed: dict[str, str], bound_to: str) -> str: ...


class WorkQueue(Protocol):
    """Port: the webhooks queue, for messages the context sends itself (deliveries due, replays)."""

    def send(self, messages: list[tuple[dict[str, Any], int]]) -> None: ...  # (body, delay in seconds ≤ 900)


@dataclass(frozen=True)
class WebhookDeps:
    repo: WebhookRepository
    ids: IdGenerator
    clock: Clock
    events: EventFactory
    secrets: Secrets
    sender: Sender
    queue: WorkQueue
    event: Callable[[str, str], Event]  # the event log's reader of one event (NotFoundError once expired)
    events_between: Callable[[str, datetime, datetime, str | None, int], list[Event]]  # oldest first, after an id
    local_mode: bool  # `make run`: http://localhost endpoints allowed
    jitter: Callable[[], float] = field(default=random.random)


class _LostRace(Exception):
    pass


def _lost() -> None:
    raise _LostRace


def _bound(tenant_id: str, endpoint_id: str) -> str:
    return f"{tenant_id}:{endpoint_id}"


def _checked_url(url: str, deps: WebhookDeps) -> str:
    try:
        return urls.check_url(url, deps.local_mode)
    except urls.UnsafeUrlError as exc:
        raise InvalidRequestError("The endpoint's URL cannot receive webhooks.", [FieldError("url", str(exc))]) from None


def _checked_events(events: list[str]) -> list[str]:
    unknown = unknown_patterns(events)
    if not events or unknown:
        raise InvalidRequestError("The endpoint's event filter is not valid.", [FieldError(
            "events", f"unknown event types: {', '.join(unknown)}" if unknown else
            "name at least one event type, `<resource>.*` or `*`")])
    return sorted(set(events))


# Endpoints
def create_endpoint(tenant_id: str, url: str, events: list[str], description: str | None,
                    deps: WebhookDeps) -> tuple[Endpoint, str]:
    """`POST /v1/webhook-endpoints`: the endpoint and its secret, which is shown this once."""
    checked, patterns = _checked_url(url, deps), _checked_events(events)
    if len(deps.repo.endpoints(tenant_id)) >= MAX_ENDPOINTS:
        raise ConflictError(f"A tenant has at most {MAX_ENDPOINTS} webhook endpoints; delete one first.")
    endpoint_id, now = deps.ids.new("whe"), rfc3339(deps.clock.now())
    secret = signing.new_secret()
    endpoint = Endpoint(id=endpoint_id, url=checked, events=patterns, description=description,
                        secrets=[SealedSecret(sealed=deps.secrets.seal(secret, _bound(tenant_id, endpoint_id)),
                                              created_at=now)], created_at=now, updated_at=now)
    uow = UnitOfWork()
    deps.repo.stage_new_endpoint(uow, tenant_id, endpoint)
    uow.commit()
    return endpoint, secret


Row = tuple[Endpoint, str | None]  # an endpoint and its failure streak's start, as the API shows them


def _change(tenant_id: str, endpoint_id: str, deps: WebhookDeps,
            change: Callable[[Endpoint, str | None], tuple[Endpoint, Event | None, str | bool | None] | None]) -> Row:
    """Apply `change` (→ the new endpoint, an event to stage, the failure streak: None clears it, False keeps it;
    or None for no change) under the endpoint's version, again when another writer moved it first. Answers
    the endpoint as written, with its streak."""

    def attempt() -> Row:
        endpoint, failing_since = deps.repo.get_endpoint(tenant_id, endpoint_id)
        outcome = change(endpoint, failing_since)
        if outcome is None:
            return endpoint, failing_since
        changed, event, streak = outcome
        changed = changed.model_copy(update={"version": endpoint.version + 1,
                                             "updated_at": rfc3339(deps.clock.now())})
        uow = UnitOfWork()
        deps.repo.stage_endpoint_update(uow, tenant_id, changed, endpoint.version, _lost, streak)
        if event is not None:
            stage_event(uow, event)
        uow.commit()
        return changed, (failing_since if streak is False else None)

    return retry_lost_races(attempt, retry_on=(_LostRace,), attempts=5, what="webhook endpoint")


def update_endpoint(tenant_id: str, endpoint_id: str, changes: dict[str, Any], deps: WebhookDeps) -> Row:
    """`PATCH`: `url`, `events`, `description`, `disabled` (false re-enables it and ends its failure streak)."""
    update: dict[str, Any] = {}
    if "url" in changes:
        update["url"] = _checked_url(changes["url"], deps)
    if "events" in changes:
        update["events"] = _checked_events(changes["events"])
    if "description" in changes:
        update["description"] = changes["description"]

    def change(endpoint: Endpoint, _: str | None) -> tuple[Endpoint, Event | None, str | bool | None]:
        fields = dict(update)
        streak: str | bool | None = False
        if "disabled" in changes and changes["disabled"] != endpoint.disabled:
            if changes["disabled"]:
                fields.update(disabled=True, disabled_reason="by_request", disabled_at=rfc3339(deps.clock.now()))
            else:
                fields.update(disabled=False, disabled_reason=None, disabled_at=None)
                streak = None
        return endpoint.model_copy(update=fields), None, streak

    return _change(tenant_id, endpoint_id, deps, change)


def rotate_secret(tenant_id: str, endpoint_id: str, deps: WebhookDeps) -> tuple[Row, str]:
    """A new secret signs from now on; the one it replaces keeps signing beside it for 24 h (receivers accept
    either signature meanwhile), and one replaced before that stops at once."""
    secret = signing.new_secret()
    sealed = deps.secrets.seal(secret, _bound(tenant_id, endpoint_id))

    def change(endpoint: Endpoint, _: str | None) -> tuple[Endpoint, Event | None, str | bool | None]:
        now = deps.clock.now()
        current = endpoint.signing_secrets(now)[:1]
        retiring = [s.model_copy(update={"retires_at": rfc3339(now + ROTATION_OVERLAP)}) for s in current]
        fresh = SealedSecret(sealed=sealed, created_at=rfc3339(now))
        return endpoint.model_copy(update={"secrets": [fresh, *retiring]}), None, False

    return _change(tenant_id, endpoint_id, deps, change), secret


def disable_endpoint(tenant_id: str, endpoint_id: str, reason: str, deps: WebhookDeps) -> Row:
    """Disabled by its deliveries (410 at once, or 5 days of failures), with `webhook_endpoint.disabled`."""

    def change(endpoint: Endpoint, _: str | None) -> tuple[Endpoint, Event | None, str | bool | None] | None:
        if endpoint.disabled:
            return None
        event = deps.events.make(tenant_id, "webhook_endpoint.disabled",
                                 {"id": endpoint.id, "url": endpoint.url, "reason": reason})
        logger.warning("webhook endpoint disabled", extra={"endpoint_id": endpoint.id, "reason": reason})
        return endpoint.model_copy(update={"disabled": True, "disabled_reason": reason,
                                           "disabled_at": rfc3339(deps.clock.now())}), event, False

    return _change(tenant_id, endpoint_id, deps, change)


# Deliveries
def _ref(tenant_id: str, endpoint_id: str, delivery_ref: str) -> dict[str, Any]:
    """The queue message of one attempt of a delivery."""
    return {"webhook_delivery": {"tenant_id": tenant_id, "endpoint_id": endpoint_id, "delivery_id": delivery_ref}}


def _new_delivery(endpoint: Endpoint, event: Event, now: str) -> Delivery:
    return Delivery(id=delivery_id(endpoint.id, event.id), endpoint_id=endpoint.id, event_id=event.id,
                    event_type=event.type, next_attempt_at=now, created_at=now, updated_at=now)


def fan_out(event: Event, deps: WebhookDeps) -> int:
    """An event from the bus: one delivery for each endpoint that takes it, queued at once. A repeat (the bus
    delivers at least once) finds the deliveries made and queues the pending ones again (harmless: an attempt
    claims its delivery first)."""
    now = rfc3339(deps.clock.now())
    queued = []
    for endpoint in deps.repo.endpoints(event.tenant_id):
        if not endpoint.takes(event.type):
            continue
        delivery = _new_delivery(endpoint, event, now)
        if not deps.repo.create_delivery(event.tenant_id, delivery):
            existing = deps.repo.get_delivery(event.tenant_id, endpoint.id, delivery.id)
            if existing is None or existing.status != "pending" or existing.attempt > existing.armed_at_attempt:
                continue
        queued.append((_ref(event.tenant_id, endpoint.id, delivery.id), 0))
    deps.queue.send(queued)
    return len(queued)


def _finish(tenant_id: str, claimed: Delivery, now: datetime, outcome: Outcome, deps: WebhookDeps,
            failing_since: str | None) -> tuple[Delivery, timedelta | None]:
    """The delivery after its attempt's outcome, and the delay to its next attempt (None: none)."""
    at = rfc3339(now)
    attempts = [*claimed.attempts, Attempt(at=at, status_code=outcome.status_code, duration_ms=outcome.duration_ms,
                                           error=outcome.error)][-KEPT_ATTEMPTS:]
    base = {"attempts": attempts, "status_code": outcome.status_code, "duration_ms": outcome.duration_ms,
            "error": outcome.error, "updated_at": at, "version": claimed.version + 1}
    if outcome.ok:
        if failing_since is not None:
            deps.repo.mark_recovered(tenant_id, claimed.endpoint_id)
        return claimed.model_copy(update={**base, "status": "delivered", "delivered_at": at,
                                          "next_attempt_at": None}), None
    if outcome.status_code == 410:
        disable_endpoint(tenant_id, claimed.endpoint_id, GONE, deps)
        return claimed.model_copy(update={**base, "status": "failed", "next_attempt_at": None}), None
    streak = failing_since or deps.repo.mark_failing(tenant_id, claimed.endpoint_id, at)
    if streak is not None and now - datetime.fromisoformat(streak.replace("Z", "+00:00")) >= DISABLE_AFTER:
        disable_endpoint(tenant_id, claimed.endpoint_id, FAILING, deps)
        return claimed.model_copy(update={**base, "status": "failed", "next_attempt_at": None}), None
    delay = retry_delay(claimed.attempt - claimed.armed_at_attempt, outcome.status_code, outcome.retry_after,
                        deps.jitter())
    if delay is None:
        return claimed.model_copy(update={**base, "status": "failed", "next_attempt_at": None}), None
    return claimed.model_copy(update={**base, "next_attempt_at": rfc3339(now + delay)}), delay


def _give_up(tenant_id: str, delivery: Delivery, reason: str, deps: WebhookDeps) -> str:
    failed = delivery.model_copy(update={"status": "failed", "next_attempt_at": None, "error": reason,
                                         "updated_at": rfc3339(deps.clock.now()), "version": delivery.version + 1})
    deps.repo.save_delivery(tenant_id, failed, delivery.version)
    return "failed"


def attempt(tenant_id: str, endpoint_id: str, delivery_ref: str, deps: WebhookDeps) -> str:
    """One attempt of a delivery, if it is pending and due: claim it, sign and POST the event, record the
    outcome and, on failure, queue the next attempt. Answers what happened (for the logs and the tests)."""
    delivery = deps.repo.get_delivery(tenant_id, endpoint_id, delivery_ref)
    now = deps.clock.now()
    if delivery is None or delivery.status != "pending":
        return "not_pending"
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > rfc3339(now + EARLY):
        return "not_due"
    try:
        endpoint, failing_since = deps.repo.get_endpoint(tenant_id, endpoint_id)
    except NotFoundError:
        return _give_up(tenant_id, delivery, "endpoint deleted", deps)
    if endpoint.disabled:
        return _give_up(tenant_id, delivery, "endpoint disabled", deps)
    claimed = delivery.model_copy(update={"attempt": delivery.attempt + 1, "version": delivery.version + 1,
                                          "next_attempt_at": rfc3339(now + ATTEMPT_LEASE), "updated_at": rfc3339(now)})
    if not deps.repo.save_delivery(tenant_id, claimed, delivery.version):
        return "raced"
    try:
        event = deps.event(tenant_id, delivery.event_id)
    except NotFoundError:
        return _give_up(tenant_id, claimed, "event no longer in the log", deps)
    body = envelope_body(event.envelope())
    keys = [deps.secrets.open(s.sealed, _bound(tenant_id, endpoint.id)) for s in endpoint.signing_secrets(now)]
    outcome = deps.sender.post(endpoint.url, body, signing.headers(keys, event.id, int(now.timestamp()), body))
    finished, delay = _finish(tenant_id, claimed, deps.clock.now(), outcome, deps, failing_since)
    if not deps.repo.save_delivery(tenant_id, finished, claimed.version):
        return "raced"  # re-armed by hand meanwhile: that arming stands
    logger.info("webhook attempt", extra={"delivery_id": finished.id, "endpoint_id": endpoint.id,
                                          "attempt": finished.attempt, "status_code": outcome.status_code,
                                          "duration_ms": outcome.duration_ms, "outcome": finished.status})
    if delay is not None and delay <= SQS_MAX_DELAY:
        deps.queue.send([(_ref(tenant_id, endpoint.id, finished.id), math.ceil(delay.total_seconds()))])
    return finished.status


def sweep(deps: WebhookDeps) -> dict[str, int]:
    """The schedule: every pending delivery due before the next sweep (a long backoff, a crashed attempt's
    lease run out) back on the queue, with the delay left."""
    now = deps.clock.now()
    due = deps.repo.due(rfc3339(now + SWEEP_WINDOW), SWEEP_LIMIT)
    messages = []
    for tenant_id, endpoint_id, delivery_ref, at in due:
        wait = datetime.fromisoformat(at.replace("Z", "+00:00")) - now
        messages.append((_ref(tenant_id, endpoint_id, delivery_ref),
                         max(0, min(math.ceil(wait.total_seconds()), int(SQS_MAX_DELAY.total_seconds())))))
    deps.queue.send(messages)
    return {"queued": len(messages)}


def _arm(tenant_id: str, delivery: Delivery, deps: WebhookDeps) -> Delivery | None:
    """Pending again from now, its schedule restarting; None when another writer moved it first."""
    now = rfc3339(deps.clock.now())
    armed = delivery.model_copy(update={"status": "pending", "next_attempt_at": now, "armed_at_attempt": delivery.attempt,
                                        "delivered_at": None, "updated_at": now, "version": delivery.version + 1})
    return armed if deps.repo.save_delivery(tenant_id, armed, delivery.version) else None


def retry(tenant_id: str, endpoint_id: str, delivery_ref: str, deps: WebhookDeps) -> Delivery:
    """`POST …/deliveries/{id}/retry`: attempted again now, whatever its status (a receiver dedupes on
    `webhook-id`, which stays the event id); the retry schedule starts over."""
    endpoint, _ = deps.repo.get_endpoint(tenant_id, endpoint_id)
    if endpoint.disabled:
        raise InvalidStateError("The endpoint is disabled; enable it (PATCH disabled: false) first.")

    def once() -> Delivery:
        delivery = deps.repo.get_delivery(tenant_id, endpoint_id, delivery_ref)
        if delivery is None:
            raise NotFoundError(f"No delivery {delivery_ref} of endpoint {endpoint_id}.")
        armed = _arm(tenant_id, delivery, deps)
        if armed is None:
            raise _LostRace
        return armed

    armed = retry_lost_races(once, retry_on=(_LostRace,), attempts=5, what="webhook delivery")
    deps.queue.send([(_ref(tenant_id, endpoint_id, armed.id), 0)])
    return armed


def replay(tenant_id: str, endpoint_id: str, start: datetime, end: datetime | None, deps: WebhookDeps) -> dict[str, str]:
    """`POST …/replay`: every event of the period the endpoint takes and has not received (its deliveries
    failed, or were never made: it was disabled, or did not exist yet) is delivered again, in the background."""
    now = deps.clock.now()
    end = min(end or now, now)
    if start > end:
        raise InvalidRequestError("The replay period is not valid.",
                                  [FieldError("from", "must be before `to` and not in the future")])
    endpoint, _ = deps.repo.get_endpoint(tenant_id, endpoint_id)
    if endpoint.disabled:
        raise InvalidStateError("The endpoint is disabled; enable it (PATCH disabled: false) first.")
    task: dict[str, Any] = {"tenant_id": tenant_id, "endpoint_id": endpoint_id, "from": rfc3339(start), "to": rfc3339(end),
            "after": None}
    deps.queue.send([({"webhook_replay": task}, 0)])
    return {"endpoint_id": endpoint_id, "from": task["from"], "to": task["to"], "status": "queued"}


def replay_page(task: dict[str, Any], deps: WebhookDeps) -> int:
    """One page of a replay: deliveries made or re-armed, then the next page queued."""
    tenant_id, endpoint_id = str(task["tenant_id"]), str(task["endpoint_id"])
    try:
        endpoint, _ = deps.repo.get_endpoint(tenant_id, endpoint_id)
    except NotFoundError:
        return 0
    start = datetime.fromisoformat(task["from"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(task["to"].replace("Z", "+00:00"))
    events = deps.events_between(tenant_id, start, end, task.get("after"), REPLAY_PAGE)
    now, queued = rfc3339(deps.clock.now()), []
    for event in events:
        if not endpoint.takes(event.type):
            continue
        fresh = _new_delivery(endpoint, event, now)
        if deps.repo.create_delivery(tenant_id, fresh):
            queued.append((_ref(tenant_id, endpoint_id, fresh.id), 0))
            continue
        existing = deps.repo.get_delivery(tenant_id, endpoint_id, fresh.id)
        if existing is not None and existing.status == "failed":
            armed = _arm(tenant_id, existing, deps)
            if armed is not None:
                queued.append((_ref(tenant_id, endpoint_id, armed.id), 0))
    if len(events) == REPLAY_PAGE:
        queued.append(({"webhook_replay": {**task, "after": events[-1].id}}, 0))
    deps.queue.send(queued)
    return len(events)


# What the API shows
def public_endpoint(row: tuple[Endpoint, str | None], secret: str | None = None) -> dict[str, Any]:
    endpoint, failing_since = row
    body = {"id": endpoint.id, "url": endpoint.url, "events": endpoint.events, "description": endpoint.description,
            "disabled": endpoint.disabled, "disabled_reason": endpoint.disabled_reason,
            "disabled_at": endpoint.disabled_at, "failing_since": failing_since,
            "secret_rotated_at": endpoint.secrets[0].created_at if len(endpoint.secrets) else None,
            "created_at": endpoint.created_at, "updated_at": endpoint.updated_at}
    if secret is not None:
        body["secret"] = secret
    return body


def public_delivery(delivery: Delivery) -> dict[str, Any]:
    return {"id": delivery.id, "endpoint_id": delivery.endpoint_id, "event_id": delivery.event_id,
            "event_type": delivery.event_type, "status": delivery.status, "attempt": delivery.attempt,
            "status_code": delivery.status_code, "duration_ms": delivery.duration_ms, "error": delivery.error,
            "next_attempt_at": delivery.next_attempt_at if delivery.status == "pending" else None,
            "delivered_at": delivery.delivered_at,
            "attempts": [a.model_dump() for a in delivery.attempts],
            "created_at": delivery.created_at, "updated_at": delivery.updated_at}

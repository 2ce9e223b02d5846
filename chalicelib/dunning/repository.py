"""Dunning in the single table: one run item per tenant and day, one marker per charge and step.

Every write that keeps an invariant carries its condition: a day's run is claimed once (a crashed run's
lease expires and a redelivery resumes it), a step is claimed once per charge before its message is
sent, and finished with its `dunning.step_sent` event and the run's counters in one transaction."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError

from chalicelib.dunning import keys
from chalicelib.platform.dynamo import BaseRecord, UnitOfWork
from chalicelib.platform.events import Event, stage_event


class RunRecord(BaseRecord):
    doc = JSONAttribute()
    status = UnicodeAttribute()  # running | completed
    lease_until = NumberAttribute()
    overdue_marked = NumberAttribute(default=0)
    steps_sent = NumberAttribute(default=0)
    messages_sent = NumberAttribute(default=0)
    charges_evaluated = NumberAttribute(default=0)
    completed_at = UnicodeAttribute(null=True)


class RunRequestRecord(BaseRecord):
    day = UnicodeAttribute()


class StepRecord(BaseRecord):
    doc = JSONAttribute()
    status = UnicodeAttribute()  # claimed | sent | skipped
    lease_until = NumberAttribute()


COUNTERS = ("overdue_marked", "steps_sent", "messages_sent", "charges_evaluated")


def _run(record: RunRecord) -> dict[str, Any]:
    return {**record.doc, "status": record.status, "completed_at": record.completed_at,
            "lease_until": int(record.lease_until or 0),
            **{name: int(getattr(record, name) or 0) for name in COUNTERS}}


def _written(write: Callable[[], object]) -> bool:
    """Run a conditional write: True when it was written, False when its condition failed."""
    try:
        write()
    except (PutError, UpdateError) as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


class DynamoDunningRepository:
    # Runs
    def get_run(self, tenant_id: str, day: str) -> dict[str, Any] | None:
        key = keys.run(tenant_id, day)
        try:
            return _run(RunRecord.get(key.pk, key.sk, consistent_read=True))
        except RunRecord.DoesNotExist:
            return None

    def claim_run(self, tenant_id: str, doc: dict[str, Any], now: int, lease_seconds: int) -> bool:
        """Take the day's run: when there is none, or when a crashed one's lease has expired (resumed with
        its counters). False when another holds it or it completed."""
        record = RunRecord.at(keys.run(tenant_id, doc["date"]), kind="dunning_run")
        return _written(lambda: record.update(
            actions=[RunRecord.doc.set(RunRecord.doc | doc), RunRecord.status.set("running"),
                     RunRecord.lease_until.set(now + lease_seconds), RunRecord.kind.set("dunning_run")],
            condition=RunRecord.pk.does_not_exist() | ((RunRecord.status == "running") & (RunRecord.lease_until < now))))

    def release_run(self, tenant_id: str, day: str) -> None:
        """A run that failed (a channel down): its lease ends now, so the next attempt resumes at once."""
        _written(lambda: RunRecord.at(keys.run(tenant_id, day)).update(
            actions=[RunRecord.lease_until.set(0)], condition=RunRecord.status == "running"))

    def count(self, tenant_id: str, day: str, counter: str, n: int) -> None:
        RunRecord.at(keys.run(tenant_id, day)).update(actions=[getattr(RunRecord, counter).add(n)])

    def complete_run(self, tenant_id: str, day: str, charges_evaluated: int, completed_at: str) -> dict[str, Any]:
        record = RunRecord.at(keys.run(tenant_id, day))
        record.update(actions=[RunRecord.status.set("completed"), RunRecord.charges_evaluated.set(charges_evaluated),
                               RunRecord.completed_at.set(completed_at)])
        return _run(record)

    def list_runs(self, tenant_id: str, limit: int) -> builtins.list[dict[str, Any]]:
        prefix = keys.run_prefix(tenant_id)
        return [_run(r) for r in RunRecord.query(prefix.pk, RunRecord.sk.startswith(prefix.sk),
                                                 scan_index_forward=False, limit=limit)]

    # What the schedule asked for
    def request_run(self, tenant_id: str, day: str, event: Event) -> bool:
        """The schedule's request, with its event, once per tenant and day; False when asked already."""
        uow = UnitOfWork()
        uow.put(RunRequestRecord.at(keys.run_request(tenant_id, day), kind="dunning_request", day=day),
                condition=RunRequestRecord.pk.does_not_exist(), on_fail=_AlreadyRequested())
        stage_event(uow, event)
        try:
            uow.commit()
        except _AlreadyRequested:
            return False
        return True

    # Steps
    def claim_step(self, tenant_id: str, charge_id: str, doc: dict[str, Any], now: int, lease_seconds: int) -> bool:
        """Claim a charge's step before its message goes out; False when it was sent (or is being sent)."""
        record = StepRecord.at(keys.step(tenant_id, charge_id, doc["offset_days"]), kind="dunning_step", doc=doc,
                               status="claimed", lease_until=now + lease_seconds)
        return _written(lambda: record.save(
            condition=StepRecord.pk.does_not_exist() | ((StepRecord.status == "claimed") & (StepRecord.lease_until < now))))

    def finish_steps(self, tenant_id: str, day: str, steps: dict[str, dict[str, Any]], status: str,
                     events: builtins.list[Event]) -> None:
        """The message went out (or was skipped): its charges' steps (charge id → the step as it ends),
        their events and the run's counters, in one transaction."""
        uow = UnitOfWork()
        for charge_id, doc in steps.items():
            uow.update(StepRecord.at(keys.step(tenant_id, charge_id, doc["offset_days"])),
                       actions=[StepRecord.status.set(status), StepRecord.doc.set(doc)],
                       condition=StepRecord.status == "claimed")
        for event in events:
            stage_event(uow, event)
        sent = status == "sent"
        uow.update(RunRecord.at(keys.run(tenant_id, day)),
                   actions=[RunRecord.steps_sent.add(len(steps) if sent else 0),
                            RunRecord.messages_sent.add(1 if sent else 0)])
        uow.commit()

    def release_steps(self, tenant_id: str, offset_days: int, charge_ids: builtins.list[str]) -> None:
        """A message that could not be sent: its claims go, so the next run (or a redelivery) tries again."""
        for charge_id in charge_ids:
            key = keys.step(tenant_id, charge_id, offset_days)
            StepRecord.at(key).delete(condition=StepRecord.status == "claimed")

    def steps_of(self, tenant_id: str, charge_id: str) -> builtins.list[dict[str, Any]]:
        prefix = keys.steps_of_charge(tenant_id, charge_id)
        return [{**r.doc, "status": "sending" if r.status == "claimed" else r.status}
                for r in StepRecord.query(prefix.pk, StepRecord.sk.startswith(prefix.sk), consistent_read=True)]


class _AlreadyRequested(Exception):
    pass

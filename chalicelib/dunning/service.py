"""Use cases of the dunning context: the policy (read and replaced through the tenants' settings, where it
is stored), the template catalogue, and the daily run.

The run of a tenant's day, exactly once whatever runs it (the schedule's job, `POST /v1/dunning/runs`, a
redelivery, two at once): the day's run item is claimed under a condition (a crashed run's lease expires
and the next attempt resumes it); each charge's step is claimed under a condition before its message goes
out, and finished with its `dunning.step_sent` event in one transaction. A crash between sending and
finishing leaves the claim to expire, so the step is sent again rather than lost (at least once, like any
e-mail). The charges are read through the due-date index: the run reads the charges its steps fall on,
never every charge.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.dunning import model
from chalicelib.dunning.model import TEMPLATES, Channel, Dispatch, StepRef
from chalicelib.platform.clock import Clock, business_date, rfc3339
from chalicelib.platform.errors import FieldError, InvalidRequestError
from chalicelib.platform.events import Event, EventFactory
from chalicelib.platform.ids import IdGenerator
from chalicelib.platform.observability import logger

if TYPE_CHECKING:
    from chalicelib.catalog.model import Customer
    from chalicelib.collections.model import Charge
    from chalicelib.tenants.model import Tenant

RUN_LEASE_SECONDS = 15 * 60  # a run longer than this is taken for crashed, and resumed
STEP_LEASE_SECONDS = 5 * 60  # a message not finished by then is taken for lost, and sent again
# How far from today a run may be asked for: a past day re-sends what it missed, a near future day rehearses.
MAX_RUN_DAYS_BACK = 60
MAX_RUN_DAYS_AHEAD = 31


class DunningRepository(Protocol):
    def get_run(self, tenant_id: str, day: str) -> dict[str, Any] | None: ...
    def claim_run(self, tenant_id: str, doc: dict[str, Any], now: int, lease_seconds: int) -> bool: ...
    def release_run(self, tenant_id: str, day: str) -> None: ...
    def count(self, tenant_id: str, day: str, counter: str, n: int) -> None: ...
    def complete_run(self, tenant_id: str, day: str, charges_evaluated: int, completed_at: str) -> dict[str, Any]: ...
    def request_run(self, tenant_id: str, day: str, event: Event) -> bool: ...
    def claim_step(self, tenant_id: str, charge_id: str, doc: dict[str, Any], now: int, lease_seconds: int) -> bool: ...
    def finish_steps(self, tenant_id: str, day: str, steps: dict[str, dict[str, Any]], status: str,
                     events: builtins.list[Event]) -> None: ...
    def release_steps(self, tenant_id: str, offset_days: int, charge_ids: builtins.list[str]) -> None: ...
    def steps_of(self, tenant_id: str, charge_id: str) -> builtins.list[dict[str, Any]]: ...

# The late terms the policy shows: stored once, in settings.collections.
TERMS = ("fine_percent", "b2b_fine_percent", "interest_monthly_percent")


@dataclass(frozen=True)
class DunningDeps:
    tenant: Callable[[str], Tenant]  # the tenants context's reader
    update_settings: Callable[[str, dict[str, Any]], Tenant]  # the tenants context's use case (validates, saves)
    clock: Clock
    repo: DunningRepository
    ids: IdGenerator
    events: EventFactory
    tenant_ids: Callable[[], Iterator[str]]  # every tenant (the schedule asks one run of each)
    customer: Callable[[str, str], Customer]  # the catalog's reader
    charge: Callable[[str, str], Charge]  # the collections context's reader (NotFoundError)
    charges_due: Callable[[str, list[date]], list[Charge]]  # collections: a tenant's open charges due on dates
    mark_overdue: Callable[[str, str], Charge]  # collections: pending → overdue once late
    payable_on: Callable[[str, Charge, date], Charge]  # collections: reissued for the day's amount when late
    send: Callable[[Tenant, Customer, list[Charge], date, Channel, str, str], dict[str, Any]]
    # notifications: (tenant, customer, charges, day, channel, template, run id) → the notification record
    future_runs: bool = False  # the sandbox may run a day ahead (to watch a régua unfold); production may not


def policy_of(tenant: Tenant) -> dict[str, Any]:
    """The policy as the API shows it: the steps, and the late terms from the collections settings."""
    collections = tenant.settings.collections.model_dump(mode="json")
    return {"steps": [s.model_dump(mode="json") for s in tenant.settings.dunning.steps],
            **{term: collections.get(term) for term in TERMS}}


def get_policy(tenant_id: str, deps: DunningDeps) -> dict[str, Any]:
    return policy_of(deps.tenant(tenant_id))


def replace_policy(tenant_id: str, body: dict[str, Any], deps: DunningDeps) -> dict[str, Any]:
    """Replace the steps (and set the late terms sent); validated by the tenants context like any settings
    change, with the errors named as the policy's fields."""
    patch: dict[str, Any] = {"dunning": {"steps": body["steps"]}}
    terms = {term: body[term] for term in TERMS if term in body}
    if terms:
        patch["collections"] = terms
    try:
        tenant = deps.update_settings(tenant_id, patch)
    except InvalidRequestError as exc:
        raise InvalidRequestError("The dunning policy is invalid.",
                                  [FieldError(_policy_field(e.field), e.message, e.extra) for e in exc.errors]) from None
    return policy_of(tenant)


def _policy_field(settings_field: str) -> str:
    for prefix in ("dunning.", "collections."):
        if settings_field.startswith(prefix):
            return settings_field.removeprefix(prefix)
    return settings_field


def example_context(tenant: Tenant, today: date) -> dict[str, Any]:
    """What a template is shown with in the catalogue: the tenant's own name, an example customer and charge."""
    from chalicelib.notifications.service import tenant_context

    charge = {"description": "Pedido 1001", "installment": 1, "installments": 1, "amount_cents": 15000,
              "amount_due_cents": 15350, "due_date": today, "days_late": 0,
              "boleto": {"digitable_line": "00190000090123456700000000001234512340000015000"},
              "pix": {"brcode": "00020101021226…6304ABCD"}, "card_link": None}
    return {"tenant": tenant_context(tenant), "customer": {"name": "Maria da Silva"}, "charges": [charge],
            "total_due_cents": 15350}


def templates(tenant_id: str, today: date, deps: DunningDeps) -> list[dict[str, Any]]:
    """The built-in templates, each with its subject and text as the tenant's customer would read them."""
    from chalicelib.notifications.templates import render

    context = example_context(deps.tenant(tenant_id), today)
    listed = []
    for template in TEMPLATES.values():
        example = render(template.name, context, html=False)
        listed.append({"name": template.name, "title": template.title, "use": template.use,
                       "channels": ["email", "whatsapp", "sms"], "subject": example.subject, "text": example.text})
    return listed


# --- the daily run --------------------------------------------------------------------------------

def run_day(tenant_id: str, requested: date | None, deps: DunningDeps) -> date:
    """The day a run is for: today in São Paulo, or the one asked for within the allowed window."""
    today = business_date(deps.clock.now())
    day = requested or today
    ahead = MAX_RUN_DAYS_AHEAD if deps.future_runs else 0
    if (day - today).days > ahead or (today - day).days > MAX_RUN_DAYS_BACK:
        window = f"{MAX_RUN_DAYS_AHEAD} after" if ahead else "not after (future days only in the sandbox)"
        raise InvalidRequestError("The run date is out of range.", [FieldError(
            "date", f"must be within {MAX_RUN_DAYS_BACK} days before and {window} today ({today.isoformat()})")])
    return day


def run(tenant_id: str, day: date, deps: DunningDeps) -> tuple[dict[str, Any], bool]:
    """The tenant's run of `day`, done once: (the run, True) when this call ran it (or resumed a crashed
    one), (the first run as it stands, False) when it ran already or is running elsewhere."""
    key = day.isoformat()
    existing = deps.repo.get_run(tenant_id, key)
    now = int(time.time())
    if existing is not None and (existing["status"] == "completed" or existing.get("lease_until", 0) > now):
        return existing, False
    doc = {"id": existing["id"] if existing else deps.ids.new("dun"), "date": key,
           "created_at": existing["created_at"] if existing else rfc3339(deps.clock.now())}
    if not deps.repo.claim_run(tenant_id, doc, now, RUN_LEASE_SECONDS):
        first = deps.repo.get_run(tenant_id, key)
        assert first is not None
        return first, False
    try:
        evaluated = _execute(tenant_id, day, doc["id"], deps)
    except BaseException:
        deps.repo.release_run(tenant_id, key)
        raise
    return deps.repo.complete_run(tenant_id, key, evaluated, rfc3339(deps.clock.now())), True


def _execute(tenant_id: str, day: date, run_id: str, deps: DunningDeps) -> int:
    tenant = deps.tenant(tenant_id)
    steps = [StepRef(s.offset_days, s.channel, s.template) for s in tenant.settings.dunning.steps]
    charges = deps.charges_due(tenant_id, model.dates_to_read([s.offset_days for s in steps], day))
    by_id = {}
    for charge in charges:
        if charge.status == "pending" and charge.is_late_on(day) and charge.is_late_on(business_date(deps.clock.now())):
            charge = deps.mark_overdue(tenant_id, charge.id)
            if charge.status == "overdue":
                deps.repo.count(tenant_id, day.isoformat(), "overdue_marked", 1)
        by_id[charge.id] = charge
    for dispatch in model.plan(steps, list(by_id.values()), day):
        customer = deps.customer(tenant_id, dispatch.customer_id)
        if model.is_paused(customer.dunning_paused_until, day):
            continue
        _dispatch(tenant, customer, [by_id[c] for c in dispatch.charge_ids], dispatch, day, run_id, deps)
    return len(by_id)


def _dispatch(tenant: Tenant, customer: Customer, charges: builtins.list[Charge], dispatch: Dispatch, day: date,
              run_id: str, deps: DunningDeps) -> None:
    """One message for the charges whose step is still untaken (claimed first, so never twice)."""
    step = dispatch.step
    now = int(time.time())
    docs = {}
    for charge in charges:
        doc = {"charge_id": charge.id, "offset_days": step.offset_days, "channel": step.channel,
               "template": step.template, "date": day.isoformat(), "run_id": run_id, "sent_at": None,
               "notification_id": None}
        if deps.repo.claim_step(tenant.id, charge.id, doc, now, STEP_LEASE_SECONDS):
            docs[charge.id] = doc
    if not docs:
        return
    claimed = [c for c in charges if c.id in docs]
    try:
        payable = [deps.payable_on(tenant.id, c, day) for c in claimed]
        sent = deps.send(tenant, customer, payable, day, step.channel, step.template, run_id)
    except Exception:
        deps.repo.release_steps(tenant.id, step.offset_days, list(docs))
        raise
    status = "sent" if sent["status"] == "sent" else "skipped"
    events = []
    for charge in claimed:
        docs[charge.id].update(notification_id=sent["id"], sent_at=sent.get("sent_at"))
        events.append(deps.events.make(tenant.id, "dunning.step_sent", {"step": {
            **docs[charge.id], "status": status, "customer_id": customer.id,
            "amount_due_cents": charge.amount_due_on(day)}}))
    deps.repo.finish_steps(tenant.id, day.isoformat(), docs, status, events)
    logger.info("dunning step", extra={"offset_days": step.offset_days, "charges": len(docs), "status": status})


def steps_of_charge(tenant_id: str, charge_id: str, deps: DunningDeps) -> builtins.list[dict[str, Any]]:
    """The steps a charge went through (404 for no such charge), in the order of the policy's offsets."""
    deps.charge(tenant_id, charge_id)
    return deps.repo.steps_of(tenant_id, charge_id)


# --- the schedule ---------------------------------------------------------------------------------

def request_runs(deps: DunningDeps, day: date | None = None) -> int:
    """The daily dispatcher: one `dunning.run_requested` per tenant (once per tenant and day), which the
    dunning queue turns into that tenant's run. How many it asked for."""
    day = day or business_date(deps.clock.now())
    asked = 0
    for tenant_id in deps.tenant_ids():
        event = deps.events.make(tenant_id, "dunning.run_requested", {"date": day.isoformat()})
        if deps.repo.request_run(tenant_id, day.isoformat(), event):
            asked += 1
    return asked

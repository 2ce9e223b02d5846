"""HTTP routes of dunning: the policy, its templates, and (with the run) what it sent."""

from __future__ import annotations

from datetime import date as Date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.dunning import service
from chalicelib.dunning.service import DunningDeps
from chalicelib.platform.clock import business_date
from chalicelib.platform.http import Api, Call, Result
from chalicelib.platform.money import Percent
from chalicelib.tenants.model import DunningStep

api: Api[DunningDeps] = Api(__name__, tag="Dunning")


class PolicyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: list[DunningStep] = Field(max_length=20, description=(
        "The steps, replaced as a whole: `offset_days` from the due date (−30..180, negative before it), "
        "unique, sorted on save; `channel` email, whatsapp or sms; `template` a built-in template."))
    fine_percent: Percent | None = Field(default=None, description=(
        "The late fine, at most 2% (consumers' cap, CDC art. 52 §1º). Left out: unchanged."))
    b2b_fine_percent: Percent | None = Field(default=None, description=(
        "The fine agreed with business (CNPJ) payers, at most 10%. Left out: unchanged."))
    interest_monthly_percent: Percent | None = Field(default=None, description=(
        "Interest a month, pro rata per day late. Left out: unchanged."))


class PolicyResponse(BaseModel):
    steps: list[DunningStep]
    fine_percent: float
    b2b_fine_percent: float | None
    interest_monthly_percent: float


class TemplateResponse(BaseModel):
    name: str
    title: str
    use: str
    channels: list[str]
    subject: str = Field(description="The subject, as an example customer would read it today.")
    text: str = Field(description="The text part (what WhatsApp and SMS send), with an example charge.")


class TemplateListResponse(BaseModel):
    data: list[TemplateResponse]


@api.route_spec("/v1/dunning-policy", scope="charges:read", response=PolicyResponse)
def get_dunning_policy(call: Call[DunningDeps]) -> Result:
    """Get the dunning policy
    Every tenant has one from the start: −3 email, 0 email, +1 WhatsApp, +7, +15 and +30 email. The fine
    and interest are the collections terms (`settings.collections`): one setting, shown here too."""
    return Result(service.get_policy(call.tenant_id, call.deps))


@api.route_spec("/v1/dunning-policy", "PUT", scope="charges:write", request=PolicyRequest, response=PolicyResponse)
def put_dunning_policy(call: Call[DunningDeps]) -> Result:
    """Replace the dunning policy
    The steps are replaced as a whole; 400 naming the field for an offset outside −30..180, two steps on one
    day, an unknown channel or template, or a fine above 2% (`fine_percent`: the consumers' cap)."""
    body: PolicyRequest = call.body
    return Result(service.replace_policy(call.tenant_id, body.model_dump(mode="json", exclude_unset=True),
                                            call.deps))


@api.route_spec("/v1/dunning-templates", scope="charges:read", response=TemplateListResponse)
def list_dunning_templates(call: Call[DunningDeps]) -> Result:
    """List the built-in dunning templates
    Each with its subject and text as a customer would read them (an example charge, the tenant's name)."""
    today = business_date(call.deps.clock.now())
    return Result({"data": service.templates(call.tenant_id, today, call.deps)})


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: Date | None = Field(default=None, description=(
        "The day to run (YYYY-MM-DD, São Paulo); today when left out. Up to 60 days back (what a missed "
        "day would have sent); in the sandbox also up to 31 ahead, to watch a régua unfold."))


class RunResponse(BaseModel):
    id: str
    date: str
    status: Literal["running", "completed"] = Field(description=(
        "`running` while another call or the schedule is running the day (its counters so far)."))
    overdue_marked: int = Field(description="Charges found late and marked `overdue`.")
    steps_sent: int = Field(description="Charge steps sent (a message for 3 charges is 3 steps).")
    messages_sent: int = Field(description="Messages sent (one per customer and step).")
    charges_evaluated: int = Field(description="Open charges read: those the policy's steps fall on, and the late ones.")
    created_at: str
    completed_at: str | None


class StepResponse(BaseModel):
    offset_days: int
    channel: Literal["email", "whatsapp", "sms"]
    template: str
    date: str = Field(description="The day of the run that took the step.")
    sent_at: str | None
    notification_id: str | None = Field(description="The message (GET /v1/notifications/{id}).")
    status: Literal["sent", "skipped", "sending"] = Field(description=(
        "`skipped` when the customer has no address for the channel (the notification says why)."))
    run_id: str


class StepListResponse(BaseModel):
    data: list[StepResponse]


def _run(doc: dict[str, Any]) -> dict[str, Any]:
    return {name: doc.get(name) for name in RunResponse.model_fields}


@api.route_spec("/v1/dunning/runs", "POST", scope="charges:write", request=RunRequest, response=RunResponse,
                status=201, extra_statuses=(200,))
def run_dunning(call: Call[DunningDeps]) -> Result:
    """Run the dunning policy for a day
    What the daily schedule does for every tenant, now: late charges become `overdue`, and each step that
    falls on the day goes out once per charge, one message per customer and step, with today's amount and
    what pays it. 201 with the run's figures; the same day again is 200 with the first run (nothing is sent
    twice)."""
    body: RunRequest = call.body
    day = service.run_day(call.tenant_id, body.date, call.deps)
    done, ran = service.run(call.tenant_id, day, call.deps)
    return Result(_run(done), status=201 if ran else 200)


@api.route_spec("/v1/charges/{charge_id}/dunning", scope="charges:read", response=StepListResponse,
                extra_statuses=(404,))
def charge_dunning(call: Call[DunningDeps], charge_id: str) -> Result:
    """List the dunning steps a charge went through
    Each step the policy took for it: offset, channel, template, when and which notification."""
    fields = set(StepResponse.model_fields)
    steps = service.steps_of_charge(call.tenant_id, charge_id, call.deps)
    return Result({"data": [{k: v for k, v in s.items() if k in fields} for s in steps]})

"""HTTP routes of dunning: the policy, its templates, and (with the run) what it sent."""

from __future__ import annotations

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

"""Use cases of the dunning context: the policy (read and replaced through the tenants' settings, where it
is stored), the template catalogue, and the daily run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from chalicelib.dunning.model import TEMPLATES
from chalicelib.platform.clock import Clock
from chalicelib.platform.errors import FieldError, InvalidRequestError

if TYPE_CHECKING:
    from chalicelib.tenants.model import Tenant

# The late terms the policy shows: stored once, in settings.collections.
TERMS = ("fine_percent", "b2b_fine_percent", "interest_monthly_percent")


@dataclass(frozen=True)
class DunningDeps:
    tenant: Callable[[str], Tenant]  # the tenants context's reader
    update_settings: Callable[[str, dict[str, Any]], Tenant]  # the tenants context's use case (validates, saves)
    clock: Clock


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

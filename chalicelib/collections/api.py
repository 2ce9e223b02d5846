"""HTTP routes of the collections context: charges, their documents, payments, provider webhooks
and the local sandbox (checkout page and simulated payments)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from chalicelib.collections import checkout, service
from chalicelib.collections.model import (
    BoletoInfo,
    CardLinkInfo,
    Charge,
    ChargeMethod,
    ChargeStatus,
    PaymentOutcome,
    PixInfo,
)
from chalicelib.collections.providers.notices import LocalNoticeBody
from chalicelib.collections.service import ChargeDeps
from chalicelib.platform.clock import Timestamp
from chalicelib.platform.errors import FieldError, InvalidRequestError, NotFoundError, naming
from chalicelib.platform.http import Api, Call, Result, sandbox_only
from chalicelib.platform.money import MAX_CHARGE_CENTS, PositiveCents
from chalicelib.platform.pagination import ListQuery, page_body
from chalicelib.platform.text import PRINTABLE

api: Api[ChargeDeps] = Api(__name__, tag="Charges")

CustomerId = Annotated[str, StringConstraints(pattern=r"^cus_[0-9A-HJKMNP-TV-Z]{26}$")]
OrderId = Annotated[str, StringConstraints(pattern=r"^ord_[0-9A-HJKMNP-TV-Z]{26}$")]
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=140, pattern=PRINTABLE)]


class CreateChargeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: CustomerId
    amount_cents: Annotated[StrictInt, Field(gt=0, le=MAX_CHARGE_CENTS, description="Positive; at most R$ 99.999.999,99.")]
    due_date: date = Field(description="Today or later (America/Sao_Paulo), at most 3650 days (10 years) ahead.")
    method: ChargeMethod
    description: Description
    order_id: OrderId | None = None


class ManualPaymentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_cents: PositiveCents
    paid_at: Timestamp = Field(description=(
        "When the money was received, with its offset; not in the future (400). Up to 5 minutes ahead is taken "
        "as clock skew: recorded as now, with the given one in `reported_paid_at`."))
    method: Literal["boleto", "pix", "card_link", "cash", "transfer", "other"]


class SandboxPayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_cents: PositiveCents | None = Field(default=None, description="Defaults to today's amount due.")


class CancelChargeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PaymentResponse(BaseModel):
    id: str
    amount_cents: int
    paid_at: str
    method: str
    source: str
    provider_event_id: str | None
    outcome: PaymentOutcome
    amount_due_cents: int
    recorded_at: str
    reported_paid_at: str | None = Field(default=None, description=(
        "The paid_at as reported, when it was later than the moment the payment was recorded; `paid_at` is then "
        "that moment (money cannot arrive after we hear of it)."))


class ChargeResponse(BaseModel):
    id: str
    order_id: str | None
    customer_id: str
    description: str
    method: ChargeMethod
    amount_cents: int
    due_date: date
    status: ChargeStatus
    installment: int
    installments: int
    paid_at: str | None
    paid_amount_cents: int
    overpaid_cents: int
    fine_percent: float = Field(description="The late fine that applies: the tenant's, capped at 2% for a consumer "
                                            "(CPF) payer (CDC art. 52 §1º).")
    interest_monthly_percent: float
    amount_due_cents: int = Field(description="Today's amount: principal + fine + interest − paid; 0 once closed.")
    provider: str
    boleto: BoletoInfo | None
    pix: PixInfo | None
    card_link: CardLinkInfo | None
    payments: list[PaymentResponse]
    cancelled_at: str | None
    created_at: str
    updated_at: str


class ChargeListResponse(BaseModel):
    data: list[ChargeResponse]
    next_cursor: str | None


class SettlementResponse(BaseModel):
    charge: ChargeResponse
    payment: PaymentResponse
    replayed: bool


class NoticeAnswer(BaseModel):
    received: bool
    replayed: bool
    charge_id: str | None
    outcome: str | None


class WebhookSecretResponse(BaseModel):
    provider: str
    secret: str
    signature_header: str


class CredentialsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_key: Annotated[str, StringConstraints(min_length=20, max_length=500, pattern=r"^[!-~]+$")] = Field(
        description="The provider's API key (Asaas: `$aact_…`); kept in Secrets Manager, never shown again.")
    environment: Literal["sandbox", "production"] = Field(
        default="sandbox", description="Asaas's sandbox (api-sandbox.asaas.com) or production (api.asaas.com).")


class CredentialsResponse(BaseModel):
    provider: str
    environment: Literal["sandbox", "production"]
    api_key_last4: str
    updated_at: str


class ChargeQuery(ListQuery):
    model_config = ConfigDict(extra="forbid")

    status: ChargeStatus | None = None
    customer_id: CustomerId | None = None
    due_before: date | None = None


def render(charge: Charge, deps: ChargeDeps) -> dict[str, Any]:
    body = charge.model_dump(mode="json", exclude={"version", "payer_is_consumer", "provider_charge_id"})
    body["amount_due_cents"] = charge.amount_due_on(service.today(deps))
    return body


def _settlement(outcome: service.Settlement, deps: ChargeDeps) -> dict[str, Any]:
    return {"charge": render(outcome.charge, deps), "payment": outcome.payment.model_dump(mode="json"),
            "replayed": outcome.replayed}


@api.route_spec("/v1/charges", "POST", scope="charges:write", request=CreateChargeRequest, response=ChargeResponse,
                status=201, extra_statuses=(404,))
def create_charge(call: Call[ChargeDeps]) -> Result:
    """Create a charge
    A standalone charge (boleto, Pix or card link) for a customer; due today or later and at most 3650 days
    (10 years) ahead (400 on `due_date`). A consumer (CPF) payer's `fine_percent` is capped at 2%.
    Emits `charge.created`."""
    body: CreateChargeRequest = call.body
    if body.order_id:
        with naming("order_id"):
            call.deps.order(call.tenant_id, body.order_id)
    cmd = service.NewCharge(customer_id=body.customer_id, amount_cents=body.amount_cents, due_date=body.due_date,
                            method=body.method, description=body.description, order_id=body.order_id)
    return Result(render(service.create_charge(call.tenant_id, cmd, call.deps), call.deps), status=201)


@api.route_spec("/v1/charges", scope="charges:read", query=ChargeQuery, response=ChargeListResponse)
def list_charges(call: Call[ChargeDeps]) -> Result:
    """List charges, newest first, by `status`, `customer_id` and `due_before`"""
    q: ChargeQuery = call.query
    page = call.deps.repo.list(call.tenant_id, q.status, q.customer_id,
                                              q.due_before.isoformat() if q.due_before else None, q.limit, q.cursor)
    return Result(page_body(page, lambda charge: render(charge, call.deps)))


@api.route_spec("/v1/charges/{charge_id}", scope="charges:read", response=ChargeResponse, extra_statuses=(404,))
def get_charge(call: Call[ChargeDeps], charge_id: str) -> Result:
    """Get a charge, with today's amount due and its payments"""
    return Result(render(call.deps.repo.get(call.tenant_id, charge_id), call.deps))


@api.route_spec("/v1/charges/{charge_id}/pdf", scope="charges:read", content_type="application/pdf",
                extra_statuses=(404,))
def charge_pdf(call: Call[ChargeDeps], charge_id: str) -> Result:
    """The boleto PDF
    The barcode (Interleaved 2 of 5) and linha digitável and, when the tenant has a Pix key, the Pix QR
    (boleto híbrido). 404 for a charge that is not a boleto."""
    charge = call.deps.repo.get(call.tenant_id, charge_id)
    if charge.boleto is None:
        raise NotFoundError(f"Charge {charge_id} is not a boleto.", [FieldError("method", f"is {charge.method}")])
    from chalicelib.collections.pdf import boleto_pdf

    pdf = boleto_pdf(charge, call.deps.tenant(call.tenant_id), call.deps.customer(call.tenant_id, charge.customer_id))
    return Result(pdf, content_type="application/pdf",
                  headers={"Content-Disposition": f'inline; filename="boleto-{charge.id}.pdf"'})


@api.route_spec("/v1/charges/{charge_id}/qrcode.png", scope="charges:read", content_type="image/png",
                extra_statuses=(404,))
def charge_qrcode(call: Call[ChargeDeps], charge_id: str) -> Result:
    """The Pix QR code image
    Of the charge's BR Code (a Pix charge, or a boleto híbrido). 404 when the charge has no Pix."""
    charge = call.deps.repo.get(call.tenant_id, charge_id)
    if charge.pix is None:
        raise NotFoundError(f"Charge {charge_id} has no Pix QR code.", [FieldError("method", f"is {charge.method}")])
    from chalicelib.collections.pix import qrcode_png

    return Result(qrcode_png(charge.pix.brcode), content_type="image/png")


@api.route_spec("/v1/charges/{charge_id}/cancel", "POST", scope="charges:write", request=CancelChargeRequest,
                response=ChargeResponse, extra_statuses=(404, 409))
def cancel_charge(call: Call[ChargeDeps], charge_id: str) -> Result:
    """Cancel a charge
    From `pending` or `overdue`; emits `charge.cancelled`. 409 `invalid_state` otherwise."""
    return Result(render(service.cancel_charge(call.tenant_id, charge_id, call.deps), call.deps))


@api.route_spec("/v1/charges/{charge_id}/payments", "POST", scope="charges:write", request=ManualPaymentRequest,
                response=SettlementResponse, status=201, extra_statuses=(404, 409))
def pay_charge(call: Call[ChargeDeps], charge_id: str) -> Result:
    """Settle a charge by hand
    Records a payment received outside the provider. Paid once the payments cover the amount due on
    `paid_at`'s date (fine and interest after the due date); less leaves it open with the remainder;
    more is recorded as `overpaid_cents`. `paid_at` in the future is 400 (5 minutes' clock skew is
    tolerated and recorded as now, with `reported_paid_at`). 409 `invalid_state` on a paid or
    cancelled charge."""
    body: ManualPaymentRequest = call.body
    outcome = service.record_payment(call.tenant_id, charge_id, body.amount_cents, body.paid_at, body.method,
                                     call.deps)
    return Result(_settlement(outcome, call.deps), status=201)


@api.route_spec("/v1/psp/{provider}/webhooks", "POST", auth="public", response=NoticeAnswer,
                extra_statuses=(401, 404, 409), documented_request=LocalNoticeBody)
def provider_webhook(call: Call[ChargeDeps], provider: str) -> Result:
    """Receive a payment provider's notice
    `local`: `X-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the tenant's secret
    (`GET /v1/psp/local/webhook-secret`), 5 minutes' tolerance (401 `signature_expired`); body
    `{id, type: "payment.received", tenant_id, charge_id, amount_cents, paid_at, method}`.
    `asaas`: Asaas v3 payment events with the `asaas-access-token` header. A repeated notice (same
    provider event id, same content) changes nothing and answers `replayed: true`; the same event id
    with other content (`charge_id`, `amount_cents`, `paid_at` or `method`) is 409 `notice_id_reused`
    naming what differs, and the first settlement stands. A `paid_at` later than the notice's arrival
    is settled at the arrival (the reported one is kept as the payment's `reported_paid_at`). A payment
    on a cancelled charge is recorded and explained."""
    try:
        outcome = service.receive_notice(provider, call.raw_body, call.headers, call.deps)
    except service.Ignored:
        return Result({"received": True, "replayed": False, "charge_id": None, "outcome": None})
    return Result({"received": True, "replayed": outcome.replayed, "charge_id": outcome.charge.id,
                   "outcome": outcome.payment.outcome})


@api.route_spec("/v1/psp/{provider}/webhook-secret", scope="settings:read", response=WebhookSecretResponse,
                extra_statuses=(404,))
def webhook_secret(call: Call[ChargeDeps], provider: str) -> Result:
    """The tenant's webhook secret for a payment provider
    `local`: the key the local provider signs its notices with (made on first use). `asaas`: the
    access token to set in Asaas's webhook settings."""
    from chalicelib.collections.providers.notices import check_provider

    check_provider(provider)
    secret = call.deps.repo.webhook_secret(call.tenant_id, provider)
    header = "X-Signature: t=<unix>,v1=<hex HMAC-SHA256 of '<t>.<body>'>" if provider == "local" \
        else "asaas-access-token: <secret>"
    return Result({"provider": provider, "secret": secret, "signature_header": header})


def _credential_provider(provider: str) -> str:
    from chalicelib.collections.providers.notices import check_provider

    check_provider(provider)
    if provider == "local":
        raise InvalidRequestError("The local provider needs no credentials.",
                                  [FieldError("provider", "takes no credentials; only real providers (asaas) do")])
    return provider


def _credentials_body(provider: str, credentials: Any) -> dict[str, Any]:
    return {"provider": provider, "environment": credentials.environment,
            "api_key_last4": credentials.api_key_last4, "updated_at": credentials.updated_at}


@api.route_spec("/v1/psp/{provider}/credentials", "PUT", scope="settings:write", request=CredentialsRequest,
                response=CredentialsResponse, extra_statuses=(404,))
def put_credentials(call: Call[ChargeDeps], provider: str) -> Result:
    """Give the tenant's credentials at a payment provider
    `asaas`: the account's API key and environment. Then `PATCH /v1/tenant/settings
    {"collections": {"provider": "asaas"}}` makes new charges go through Asaas (boleto, Pix and card
    link issued by Asaas), and Asaas's webhooks (`POST /v1/psp/asaas/webhooks`, with the access token
    from `GET /v1/psp/asaas/webhook-secret`) settle them. The key is stored in Secrets Manager and
    never returned; it is not checked against Asaas here (the first charge will)."""
    from chalicelib.collections.credentials import ProviderCredentials
    from chalicelib.platform.clock import rfc3339

    body: CredentialsRequest = call.body
    credentials = ProviderCredentials(body.api_key, body.environment, rfc3339(call.deps.clock.now()))
    call.deps.credentials.put(call.tenant_id, _credential_provider(provider), credentials)
    return Result(_credentials_body(provider, credentials))


@api.route_spec("/v1/psp/{provider}/credentials", scope="settings:read", response=CredentialsResponse,
                extra_statuses=(404,))
def get_credentials(call: Call[ChargeDeps], provider: str) -> Result:
    """The tenant's credentials at a payment provider (never the key: its last 4 characters)
    404 when none were given."""
    credentials = call.deps.credentials.get(call.tenant_id, _credential_provider(provider))
    if credentials is None:
        raise NotFoundError(f"No credentials for {provider}; PUT them first.")
    return Result(_credentials_body(provider, credentials))


@api.route_spec("/v1/sandbox/charges/{charge_id}/pay", "POST", scope="charges:write", request=SandboxPayRequest,
                response=SettlementResponse, extra_statuses=(404,))
def sandbox_pay(call: Call[ChargeDeps], charge_id: str) -> Result:
    """Simulate the provider paying a charge (local and sandbox only)
    The local provider sends a signed notice (today's amount due unless `amount_cents` is given)
    through the same path as `POST /v1/psp/local/webhooks`."""
    sandbox_only()
    body: SandboxPayRequest = call.body
    outcome = service.sandbox_payment(call.tenant_id, charge_id, body.amount_cents, call.deps)
    return Result(_settlement(outcome, call.deps))


def _checkout_charge(token: str, deps: ChargeDeps) -> tuple[str, Charge]:
    sandbox_only()
    tenant_id, _, _ = checkout.split_token(token)
    from chalicelib.platform.ids import is_id

    secret = deps.repo.webhook_secret(tenant_id, "local", create=False) if is_id(tenant_id, "ten") else None
    tenant_id, charge_id = checkout.check_token(token, secret)
    return tenant_id, deps.repo.get(tenant_id, charge_id)


def _checkout_page(tenant_id: str, charge: Charge, token: str, deps: ChargeDeps, message: str | None = None) -> str:
    return checkout.page(payee=deps.tenant(tenant_id).name, description=charge.description,
                         amount_due_cents=charge.amount_due_on(service.today(deps)),
                         status=charge.status, pay_action=f"/v1/sandbox/checkout/{token}/pay", message=message)


@api.route_spec("/v1/sandbox/checkout/{token}", auth="public", content_type="text/html", extra_statuses=(404,))
def checkout_page(call: Call[ChargeDeps], token: str) -> Result:
    """The sandbox card checkout page (local and sandbox only)
    Where `card_link.url` leads: the charge and a Pay button."""
    tenant_id, charge = _checkout_charge(token, call.deps)
    return Result(_checkout_page(tenant_id, charge, token, call.deps), content_type="text/html; charset=utf-8")


@api.route_spec("/v1/sandbox/checkout/{token}/pay", "POST", auth="public", content_type="text/html",
                request_content_type="application/x-www-form-urlencoded", extra_statuses=(404,))
def checkout_pay(call: Call[ChargeDeps], token: str) -> Result:
    """Pay on the sandbox checkout page (local and sandbox only)
    The Pay button: the local provider notifies the payment through the webhook path."""
    tenant_id, charge = _checkout_charge(token, call.deps)
    outcome = service.sandbox_payment(tenant_id, charge.id, None, call.deps) if charge.is_open else None
    message = "Pagamento aprovado." if outcome and outcome.charge.status == "paid" else "Nada a pagar."
    return Result(_checkout_page(tenant_id, outcome.charge if outcome else charge, token, call.deps, message),
                  content_type="text/html; charset=utf-8")


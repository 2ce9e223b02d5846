"""The payment provider port: issue a charge's payment instruments; read the provider's notices.

`local` is a real implementation (it builds FEBRABAN boletos, Pix BR Codes and a sandbox checkout
link itself and signs its notices like any PSP); `asaas` talks to Asaas API v3.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from chalicelib.collections.model import BoletoInfo, CardLinkInfo, Charge, PixInfo
from chalicelib.platform.errors import NotFoundError


class UnknownProviderError(NotFoundError):
    """No payment provider by that name."""

    code = "not_found"


@dataclass(frozen=True)
class Payee:
    """The tenant as the receiver of the money."""

    tenant_id: str
    name: str
    city: str
    cnpj: str
    bank_code: str
    agency: str
    account: str
    agreement: str
    pix_key: str | None


@dataclass(frozen=True)
class Payer:
    customer_id: str
    name: str
    document: str
    email: str | None


@dataclass(frozen=True)
class IssueRequest:
    charge_id: str
    method: str
    amount_cents: int
    due_date: date
    description: str
    payee: Payee
    payer: Payer
    nosso_numero: int | None  # the tenant's sequence number, for a boleto


@dataclass(frozen=True)
class Issued:
    boleto: BoletoInfo | None = None
    pix: PixInfo | None = None
    card_link: CardLinkInfo | None = None
    provider_charge_id: str | None = None


@dataclass(frozen=True)
class PaymentNotice:
    """A provider's word that money came in for one of our charges."""

    provider: str
    event_id: str
    tenant_id: str
    charge_id: str
    amount_cents: int
    paid_at: str  # RFC 3339
    method: str


class PaymentProvider(Protocol):
    name: str

    def issue(self, request: IssueRequest) -> Issued: ...

    def updated(self, charge: Charge, payee: Payee, day: date, amount_cents: int) -> Issued:
        """What pays a late charge today: the boleto and Pix for `amount_cents` (fine and interest
        included), due on `day`, under the charge's own nosso número and txid."""
        ...

"""The bill-payment port: hand a bill's code to a payment provider to pay on a day; read its word that
it paid (or gave up).

The local provider has no adapter: it pays what is scheduled when the day's run fires (and
`POST /v1/sandbox/payables/{id}/pay` now) by producing the same `BillNotice` a real provider's webhook
is read into, so both go through `service.receive_bill_notice`. `asaas` pays through Asaas's bill-payment
API (`payables/asaas.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol


@dataclass(frozen=True)
class BillRequest:
    reference: str  # `<tenant_id>:<payable_id>`: the provider keeps it, so a lost answer can be found again
    digitable_line: str
    amount_cents: int
    description: str
    schedule_date: date | None  # None: pay now (today, before the cut-off)


@dataclass(frozen=True)
class BillNotice:
    """A provider's word about a bill it was asked to pay."""

    provider: str
    event_id: str  # once per provider event: a repeat is a replay
    tenant_id: str
    payable_id: str
    outcome: Literal["paid", "failed"]
    amount_cents: int = 0  # paid: the bill's value with the fine and interest the payee charged, less discounts
    paid_on: date | None = None
    provider_payment_id: str | None = None
    reason: str | None = None


class BillPayer(Protocol):
    name: str

    def submit(self, request: BillRequest) -> str:
        """The provider's id of the payment it will make. A refusal is 400 naming the provider's reasons;
        503 means the outcome is unknown (the bill may or may not have been taken): `find` tells."""
        ...

    def find(self, reference: str) -> str | None:
        """The provider's id of a payment submitted before under `reference`, if it took one."""
        ...

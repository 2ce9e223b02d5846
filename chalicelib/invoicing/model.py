"""The invoice as a record of the platform: status machine (read from the cStat groups of `codes`),
cancellation and correction rules. Pure; `nfe_input.py` is the NF-e document's own input model."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.invoicing import codes
from chalicelib.platform.errors import AppError, ConflictError, FieldError, InvalidStateError
from chalicelib.platform.states import transition

InvoiceStatus = Literal["pending", "authorized", "rejected", "denied", "cancelled"]

MAX_NUMBER = 999_999_999  # nNF has nine digits

# (status, action) -> new status
TRANSITIONS: Mapping[tuple[str, str], str] = {
    ("pending", "authorize"): "authorized",
    ("pending", "reject"): "rejected",
    ("pending", "deny"): "denied",
    ("rejected", "resubmit"): "pending",
    ("authorized", "cancel"): "cancelled",
    ("authorized", "correct"): "authorized",
}

CANCELLATION_WINDOW = timedelta(hours=24)
EMISSION_LEASE = timedelta(seconds=90)
CORRECTION_WINDOW = timedelta(days=30)
MAX_CORRECTIONS = 20


class CancellationWindowExpiredError(AppError):
    """An authorized NF-e can be cancelled only within 24 h; after that, a return NF-e is the way."""

    status, code, title = 409, "cancellation_window_expired", "Cancellation window expired"


def next_status(status: str, action: str) -> str:
    return transition(TRANSITIONS, status, action, "an invoice")


def status_of_answer(cstat: str) -> str:
    """The invoice status a SEFAZ answer to an authorization leads to."""
    if cstat in codes.AUTHORIZED:
        return "authorized"
    if cstat in codes.DENIED:
        return "denied"
    if cstat in codes.IN_PROCESSING:
        return "pending"
    return "rejected"


class Correction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sequence: int
    text: str  # this correction's own text
    consolidated_text: str = ""  # what the carta carried: every correction so far (each replaces the previous)
    protocol: str
    registered_at: str


class InvoiceTotals(BaseModel):
    model_config = ConfigDict(extra="forbid")

    products_cents: int
    shipping_cents: int
    total_cents: int
    # The taxes inside the price (ICMSTot), which the ledger books as deductions; 0 on NF-e stored before.
    icms_cents: int = 0
    pis_cents: int = 0
    cofins_cents: int = 0
    icms_uf_dest_cents: int = 0  # the DIFAL owed to the destination state (vICMSUFDest)


class InvoiceDoc(BaseModel):
    """The stored invoice."""

    model_config = ConfigDict(extra="forbid")

    id: str
    order_id: str
    model: str = "55"
    series: int
    number: int
    cnf: str
    access_key: str | None = None
    status: InvoiceStatus = "pending"
    environment: Literal["homologacao", "producao"]
    protocol: str | None = None
    status_code: str | None = None
    status_reason: str | None = None
    issued_at: str
    authorized_at: str | None = None
    cancelled_at: str | None = None
    cancel_reason: str | None = None
    cancellation_protocol: str | None = None
    number_voided: bool = False  # its number was voided (inutilizado) while rejected: a resubmission renumbers it
    voided_numbers: list[int] = Field(default_factory=list)  # numbers it held before, voided
    totals: InvoiceTotals | None = None
    corrections: list[Correction] = Field(default_factory=list)
    attempts: int = 0
    processing_until: str | None = None  # a worker's lease while it builds and sends the NF-e
    version: int = 1


class NumbersInUseError(ConflictError):
    """A void range takes numbers held by NF-e that were not rejected."""

    code = "numbers_in_use"


class AuthorityRefusedError(ConflictError):
    """The fiscal authority answered with a rejection (its cStat and reason in `errors`)."""

    code = "rejected_by_authority"


INTERNAL_FIELDS = frozenset({"cnf", "version", "attempts", "processing_until", "number_voided"})


def public(invoice: InvoiceDoc) -> dict[str, Any]:
    """The invoice as the API and its events show it."""
    return invoice.model_dump(mode="json", exclude=set(INTERNAL_FIELDS))


def check_cancellable(invoice: InvoiceDoc, now: datetime) -> None:
    next_status(invoice.status, "cancel")
    authorized = datetime.fromisoformat((invoice.authorized_at or invoice.issued_at).replace("Z", "+00:00"))
    if now - authorized > CANCELLATION_WINDOW:
        raise CancellationWindowExpiredError(
            "NF-e can be cancelled only within 24 h of authorization; issue a return NF-e instead.",
            [FieldError("authorized_at", invoice.authorized_at or "")])


def check_correctable(invoice: InvoiceDoc, now: datetime) -> None:
    next_status(invoice.status, "correct")
    if len(invoice.corrections) >= MAX_CORRECTIONS:
        raise InvalidStateError(f"An NF-e takes at most {MAX_CORRECTIONS} cartas de correção.",
                                [FieldError("corrections", f"already {MAX_CORRECTIONS}")])
    authorized = datetime.fromisoformat((invoice.authorized_at or invoice.issued_at).replace("Z", "+00:00"))
    if now - authorized > CORRECTION_WINDOW:
        raise InvalidStateError("A carta de correção must be registered within 30 days of authorization.",
                                [FieldError("authorized_at", invoice.authorized_at or "")])


def consolidated_text(corrections: list[Correction], new_text: str) -> str:
    """Each carta replaces the previous ones, so it carries every correction so far."""
    texts = [c.text for c in corrections] + [new_text]
    return " | ".join(texts) if len(texts) > 1 else new_text

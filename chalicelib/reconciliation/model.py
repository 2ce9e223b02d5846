"""Reconciliation's pure vocabulary: a statement file as read (whatever its format), the bank account it
belongs to, the lines stored once, and the key that tells a line seen before from a new one."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

StatementFormat = Literal["ofx", "cnab240"]
LineStatus = Literal["unmatched", "matched", "ignored"]
LINE_STATUSES: tuple[str, ...] = ("unmatched", "matched", "ignored")


@dataclass(frozen=True)
class StatementLine:
    """One movement of the account as the file states it (amount signed: credits positive)."""

    fitid: str | None
    posted_on: date
    amount_cents: int
    description: str
    kind: str  # the OFX TRNTYPE, or the CNAB movement ("06 liquidação")
    reference: str | None = None
    our_number: str | None = None  # CNAB: the boleto's nosso número
    due_date: date | None = None
    face_value_cents: int | None = None
    fine_interest_cents: int = 0
    discount_cents: int = 0
    fee_cents: int = 0
    net_cents: int | None = None
    occurred_on: date | None = None


@dataclass(frozen=True)
class StatementFile:
    format: StatementFormat
    bank_code: str
    agency: str
    account: str
    lines: list[StatementLine]
    period_start: date | None = None
    period_end: date | None = None
    balance_cents: int | None = None
    balance_on: date | None = None
    repairs: list[str] = field(default_factory=list)
    skipped: int = 0  # records that move no money (CNAB entries confirmed, write-offs, ...)


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def normalize_account(bank: str, agency: str, account: str) -> tuple[str, str, str]:
    """(bank code in 3 digits, agency without its check digit, account with its check digit), digits only
    and without leading zeros, so an OFX's `0001-9` / `00012345-6` and a CNAB's zero-padded fields name the
    same account."""
    bank_digits = _digits(bank)[-3:].rjust(3, "0")
    agency_main = agency.split("-")[0] if "-" in (agency or "") else agency
    return bank_digits, _digits(agency_main).lstrip("0") or "0", _digits(account).lstrip("0") or "0"


def _normalized_text(value: str) -> str:
    return " ".join(value.upper().split())


def line_fingerprints(account_id: str, lines: list[StatementLine]) -> list[str]:
    """The dedupe key of each line: account + FITID + a hash of what the line says.

    FITID alone is not unique (banks reuse it across downloads and days), and some lines have none, so
    the hash covers date, amount, description and FITID, and the n-th repetition of an identical line
    within one file (two R$ 10,00 fees on the same day) gets its own key. The same file, or an
    overlapping download of the same period, yields the same keys."""
    seen: Counter[str] = Counter()
    out = []
    for line in lines:
        content = "|".join((account_id, line.fitid or "", line.posted_on.isoformat(), str(line.amount_cents),
                            _normalized_text(line.description), line.our_number or ""))
        nth = seen[content]
        seen[content] += 1
        out.append(hashlib.sha256(f"{content}|{nth}".encode()).hexdigest()[:32])
    return out


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BankAccount(Strict):
    id: str
    bank_code: str
    agency: str
    account: str
    balance_cents: int | None = None
    balance_at: str | None = None  # the date of the newest statement balance (YYYY-MM-DD)
    ledger_account: str | None = None  # its analytic account in the ledger (under 1.1.1 Disponível)
    opening_balance_cents: int | None = None  # the balance before the first statement with a balance
    opening_on: date | None = None
    created_at: str

    @property
    def label(self) -> str:
        return f"Banco {self.bank_code} ag {self.agency} cc {self.account}"


class Match(Strict):
    charge_id: str | None = None
    payable_id: str | None = None
    ledger_account: str | None = None
    how: str | None = None  # reference (a Pix txid or the nosso número), amount_date, manual, rule


class BankTransaction(Strict):
    id: str
    bank_account_id: str
    statement_id: str
    posted_on: date
    amount_cents: int
    description: str
    fitid: str | None
    kind: str
    source_format: StatementFormat = "ofx"
    reference: str | None = None
    our_number: str | None = None
    fee_cents: int = 0
    fine_interest_cents: int = 0
    status: LineStatus = "unmatched"
    match: Match | None = None
    ignored_reason: str | None = None
    fingerprint: str
    created_at: str
    updated_at: str
    version: int = 1


class Statement(Strict):
    id: str
    format: StatementFormat
    bank_account_id: str
    period_start: date | None = None
    period_end: date | None = None
    balance_cents: int | None = None
    balance_on: date | None = None
    lines: int
    transactions: int
    duplicates: int
    matched: int
    unmatched: int
    categorized: int = 0
    skipped: int = 0
    credits_cents: int
    debits_cents: int
    repairs: list[str]
    created_at: str


class BankRule(Strict):
    id: str
    description_contains: str
    direction: Literal["credit", "debit"]
    ledger_account: str
    created_at: str

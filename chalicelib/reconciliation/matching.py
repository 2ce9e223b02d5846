"""Which open charge a statement line pays, in the contract's order, as pure functions.

1. a reference the line carries: a Pix txid (ours map back to the charge id) or the boleto's nosso número;
2. else the amount and a date window: exactly one open charge, due within `WINDOW_DAYS` of the day the
   money arrived, whose amount (or today's amount with fine and interest) is the line's;
3. else nothing: the line waits as unmatched for a person.

Only credits are matched to charges. A charge already taken by another line (in this statement or before)
is no candidate.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol, TypeVar

from chalicelib.reconciliation.model import StatementLine

WINDOW_DAYS = 10
# A late payment pays the principal with fine (≤ 10 %) and interest: at most this factor of it in the window.
MAX_LATE_FACTOR = 1.25
# Ours: "chg" + the 26-character ULID (pix.txid_from_id); any txid is 26..35 alphanumerics.
_OUR_TXID = re.compile(r"\bchg([0-9A-HJKMNP-TV-Z]{26})\b")
_NOSSO_NUMERO = re.compile(r"(?<!\d)(\d{10,20})(?!\d)")


class Candidate(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def due_date(self) -> date: ...
    @property
    def amount_cents(self) -> int: ...
    def amount_due_on(self, day: date) -> int: ...


C = TypeVar("C", bound=Candidate)


@dataclass(frozen=True)
class References:
    charge_ids: list[str]  # from Pix txids
    our_numbers: list[str]


def references(line: StatementLine) -> References:
    """The charge references a line carries: txids in its text, its nosso número (CNAB) or numbers that may be one."""
    text = f"{line.description} {line.reference or ''}"
    ids = [f"chg_{m.group(1)}" for m in _OUR_TXID.finditer(text)]
    numbers = [line.our_number] if line.our_number else [m.group(1).lstrip("0") for m in _NOSSO_NUMERO.finditer(text)]
    return References(charge_ids=ids, our_numbers=[n for n in numbers if n])


def window(day: date) -> list[date]:
    return [day + timedelta(days=d) for d in range(-WINDOW_DAYS, WINDOW_DAYS + 1)]


def by_amount(line: StatementLine, candidates: Iterable[C], taken: set[str]) -> C | None:
    """The one open charge due near the line's day whose amount is the line's, or None (none or several)."""
    days = set(window(line.posted_on))
    found = {c.id: c for c in candidates
             if c.id not in taken and c.status in ("pending", "overdue") and c.due_date in days
             and line.amount_cents in (c.amount_cents, c.amount_due_on(line.posted_on))}
    return next(iter(found.values())) if len(found) == 1 else None


class Bill(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def amount_cents(self) -> int: ...
    @property
    def due_date(self) -> date: ...
    @property
    def scheduled_for(self) -> date | None: ...


B = TypeVar("B", bound=Bill)


def bill_for_debit(line: StatementLine, bills: Iterable[B], taken: set[str]) -> B | None:
    """The one bill still to pay whose amount the debit is, due (or scheduled) within the window."""
    days = set(window(line.posted_on))
    found = [b for b in bills if b.id not in taken and -line.amount_cents == b.amount_cents
             and (b.due_date in days or b.scheduled_for in days)]
    return found[0] if len(found) == 1 else None


def by_reference(refs: References, lookup: Callable[[str], C | None],
                 by_number: Callable[[str], C | None], taken: set[str]) -> C | None:
    for charge_id in refs.charge_ids:
        found = lookup(charge_id)
        if found is not None and found.id not in taken:
            return found
    for number in refs.our_numbers:
        found = by_number(number)
        if found is not None and found.id not in taken:
            return found
    return None


def rule_matches(description_contains: str, direction: str, line: StatementLine) -> bool:
    """A bank rule applies when the line goes its way and its text holds the rule's (case and accents aside)."""
    sign_ok = line.amount_cents > 0 if direction == "credit" else line.amount_cents < 0
    return sign_ok and fold(description_contains) in fold(line.description)


def fold(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).upper().split())

"""Use cases of reconciliation: importing a bank's file, matching its lines, and a person's match,
categorization or ignore.

An import, whatever runs it twice or at once: the bank account is created on first sight (a claim under a
condition); the lines are stored once (a fingerprint claim per line, in the lines' transactions); each new
line is then matched in the contract's order (`matching`) or categorized by a bank rule, and the statement
is written last with its `bank_statement.imported` event. A match moves the line out of `unmatched` and
claims the charge in one transaction with its `bank_transaction.matched` event, then settles the charge
through collections' payment path (source `statement`, the line id as the notice id, so a settlement
happens once); a crash between the two is repaired by this context's consumer of that event, which settles
again (the repeat is a replay). Collections treats a statement line and a provider's notice of the same
amount as the same money, so a charge is settled once whichever comes first.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.platform.clock import Clock, rfc3339
from chalicelib.platform.dynamo import UnitOfWork, retry_lost_races
from chalicelib.platform.errors import FieldError, InvalidRequestError, InvalidStateError, NotFoundError
from chalicelib.platform.events import Event, EventFactory, stage_event
from chalicelib.platform.ids import IdGenerator
from chalicelib.platform.observability import logger
from chalicelib.platform.pagination import Page
from chalicelib.reconciliation import cnab240, matching, ofx
from chalicelib.reconciliation.model import (
    BankAccount,
    BankTransaction,
    Match,
    Statement,
    StatementFile,
    line_fingerprints,
)
from chalicelib.reconciliation.ofx import BRASILIA

if TYPE_CHECKING:
    from chalicelib.collections.model import Charge

MAX_LINES = 5000  # a month of a busy account; a bigger file is split by the bank's own period choice


class ReconciliationRepository(Protocol):
    def account_for(self, tenant_id: str, bank_code: str, agency: str, account: str,
                    new: Callable[[], BankAccount]) -> tuple[BankAccount, bool]: ...
    def get_account(self, tenant_id: str, account_id: str) -> BankAccount: ...
    def list_accounts(self, tenant_id: str, limit: int, cursor: str | None) -> Page[BankAccount]: ...
    def update_balance(self, tenant_id: str, account: BankAccount, balance_cents: int, balance_on: str) -> bool: ...
    def known_fingerprints(self, tenant_id: str, account_id: str, fingerprints: builtins.list[str]) -> set[str]: ...
    def store_lines(self, tenant_id: str, lines: builtins.list[BankTransaction]) -> builtins.list[BankTransaction]: ...
    def get_line(self, tenant_id: str, line_id: str) -> BankTransaction: ...
    def save_line(self, tenant_id: str, line: BankTransaction, expected_version: int,
                  uow: UnitOfWork | None = None, on_fail: Callable[[], None] = ...) -> None: ...
    def stage_charge_claim(self, uow: UnitOfWork, tenant_id: str, charge_id: str, line_id: str,
                           on_fail: Callable[[], None]) -> None: ...
    def charge_line(self, tenant_id: str, charge_id: str) -> str | None: ...
    def list_lines(self, tenant_id: str, status: str | None, account_id: str | None, limit: int,
                   cursor: str | None) -> Page[BankTransaction]: ...
    def save_statement(self, tenant_id: str, statement: Statement, event: Event) -> None: ...
    def get_statement(self, tenant_id: str, statement_id: str) -> Statement: ...
    def list_statements(self, tenant_id: str, limit: int, cursor: str | None) -> Page[Statement]: ...


@dataclass(frozen=True)
class ReconciliationDeps:
    repo: ReconciliationRepository
    ids: IdGenerator
    clock: Clock
    events: EventFactory
    # Collections' use cases, filled in by the composition root (reconciliation never builds their deps):
    charges: Callable[[str, builtins.list[str]], dict[str, Charge]]  # by id, any status
    charge_ids_by_our_number: Callable[[str, builtins.list[str]], dict[str, str]]
    open_charges_due: Callable[[str, builtins.list[date]], builtins.list[Charge]]
    # Settle a charge from a line: (tenant, charge id, amount, paid at, method, line id); a repeat is a replay.
    settle: Callable[[str, str, int, datetime, str, str], Any]


class _LostRace(Exception):
    pass


def _lost() -> None:
    raise _LostRace


# --- reading a file ------------------------------------------------------------------------------

def read_file(raw: bytes) -> StatementFile:
    """The statement a bank's file holds: OFX 1.x/2.x or a CNAB 240 retorno, told apart by content."""
    if not raw.strip():
        raise InvalidRequestError("The body is empty: send the bank's OFX or CNAB 240 file.",
                                  [FieldError("body", "is empty")])
    if ofx.looks_like_ofx(raw):
        parsed = ofx.read_ofx(raw)
    elif cnab240.looks_like_cnab240(raw):
        parsed = cnab240.read_cnab240(raw)
    else:
        raise InvalidRequestError("The body is neither an OFX statement nor a CNAB 240 retorno.",
                                  [FieldError("body", "is not OFX (OFXHEADER or <?xml … <OFX>) nor CNAB 240 "
                                                      "(240-character records, a file header first)")])
    if len(parsed.lines) > MAX_LINES:
        raise InvalidRequestError(f"A statement holds at most {MAX_LINES} lines; this one {len(parsed.lines)}.",
                                  [FieldError("body", f"has more than {MAX_LINES} lines")])
    return parsed


# --- importing -----------------------------------------------------------------------------------

def import_statement(tenant_id: str, raw: bytes, deps: ReconciliationDeps) -> Statement:
    parsed = read_file(raw)
    now = rfc3339(deps.clock.now())

    def new_account() -> BankAccount:
        return BankAccount(id=deps.ids.new("bac"), bank_code=parsed.bank_code, agency=parsed.agency,
                           account=parsed.account, created_at=now)

    account, _ = deps.repo.account_for(tenant_id, parsed.bank_code, parsed.agency, parsed.account, new_account)
    statement_id = deps.ids.new("stm")
    fingerprints = line_fingerprints(account.id, parsed.lines)
    known = deps.repo.known_fingerprints(tenant_id, account.id, fingerprints)
    fresh = [BankTransaction(
        id=deps.ids.new("btx"), bank_account_id=account.id, statement_id=statement_id, posted_on=line.posted_on,
        amount_cents=line.amount_cents, description=line.description, fitid=line.fitid, kind=line.kind,
        reference=line.reference, our_number=line.our_number, fee_cents=line.fee_cents,
        fine_interest_cents=line.fine_interest_cents, fingerprint=fp, created_at=now, updated_at=now)
        for line, fp in zip(parsed.lines, fingerprints, strict=True) if fp not in known]
    stored = deps.repo.store_lines(tenant_id, fresh)
    matched = _match_new_lines(tenant_id, stored, parsed, deps)
    statement = Statement(
        id=statement_id, format=parsed.format, bank_account_id=account.id, period_start=parsed.period_start,
        period_end=parsed.period_end, balance_cents=parsed.balance_cents, balance_on=parsed.balance_on,
        lines=len(parsed.lines), transactions=len(stored), duplicates=len(parsed.lines) - len(stored),
        matched=matched, unmatched=len(stored) - matched, skipped=parsed.skipped,
        credits_cents=sum(t.amount_cents for t in stored if t.amount_cents > 0),
        debits_cents=-sum(t.amount_cents for t in stored if t.amount_cents < 0),
        repairs=parsed.repairs, created_at=now)
    deps.repo.save_statement(tenant_id, statement, deps.events.make(
        tenant_id, "bank_statement.imported", {"bank_statement": statement_event_data(statement)}))
    if parsed.balance_cents is not None and parsed.balance_on is not None:
        deps.repo.update_balance(tenant_id, account, parsed.balance_cents, parsed.balance_on.isoformat())
    logger.info("bank statement imported", extra={"tenant_id": tenant_id, "statement_id": statement_id,
                                                  "lines": len(parsed.lines), "stored": len(stored),
                                                  "matched": matched, "repairs": parsed.repairs})
    return statement


def statement_event_data(statement: Statement) -> dict[str, Any]:
    return statement.model_dump(mode="json", include={"id", "format", "bank_account_id", "transactions",
                                                      "duplicates", "matched", "unmatched", "period_start",
                                                      "period_end", "balance_cents", "balance_on"})


class _Candidates:
    """What the lines of one import are matched against, read once per import: the charges their
    references name (batch reads) and the open charges due in their date windows (one query per date)."""

    def __init__(self, tenant_id: str, lines: builtins.list[BankTransaction], deps: ReconciliationDeps) -> None:
        self.tenant_id, self.deps = tenant_id, deps
        refs = [matching.references(_as_line(t)) for t in lines if t.amount_cents > 0]
        numbers = [n for r in refs for n in r.our_numbers]
        self.by_number = deps.charge_ids_by_our_number(tenant_id, numbers) if numbers else {}
        ids = [c for r in refs for c in r.charge_ids] + list(self.by_number.values())
        self.by_id: dict[str, Charge] = deps.charges(tenant_id, ids) if ids else {}
        self._due: dict[date, builtins.list[Charge]] = {}

    def charge(self, charge_id: str) -> Charge | None:
        return self.by_id.get(charge_id)

    def charge_by_number(self, number: str) -> Charge | None:
        charge_id = self.by_number.get(number.lstrip("0"))
        return self.by_id.get(charge_id) if charge_id else None

    def open_near(self, day: date) -> builtins.list[Charge]:
        days = matching.window(day)
        missing = [d for d in days if d not in self._due]
        if missing:
            for d in missing:
                self._due[d] = []
            for charge in self.deps.open_charges_due(self.tenant_id, missing):
                self._due.setdefault(charge.due_date, []).append(charge)
        return [c for d in days for c in self._due.get(d, [])]


def _as_line(t: BankTransaction) -> Any:
    from chalicelib.reconciliation.model import StatementLine

    return StatementLine(fitid=t.fitid, posted_on=t.posted_on, amount_cents=t.amount_cents,
                         description=t.description, kind=t.kind, reference=t.reference, our_number=t.our_number)


def _match_new_lines(tenant_id: str, lines: builtins.list[BankTransaction], parsed: StatementFile,
                     deps: ReconciliationDeps) -> int:
    credits = [t for t in lines if t.amount_cents > 0]
    if not credits:
        return 0
    candidates = _Candidates(tenant_id, credits, deps)
    taken: set[str] = set()
    matched = 0
    for line in credits:
        statement_line = _as_line(line)
        found = matching.by_reference(matching.references(statement_line), candidates.charge,
                                      candidates.charge_by_number, taken)
        how = "reference"
        if found is None:
            found = matching.by_amount(statement_line, candidates.open_near(line.posted_on), taken)
            how = "amount_date"
        if found is None:
            continue
        taken.add(found.id)
        if _match_to_charge(tenant_id, line, found, how, deps, strict=False) is not None:
            matched += 1
    return matched


def _paid_at(day: date) -> datetime:
    """The instant a line's money is taken to have arrived: midday of its day in Brasília."""
    return datetime.combine(day, time(12, 0), tzinfo=BRASILIA)


def _match_to_charge(tenant_id: str, line: BankTransaction, charge: Charge, how: str, deps: ReconciliationDeps,
                     *, strict: bool) -> BankTransaction | None:
    """Claim the charge for the line (one line per charge), mark the line matched with its event, then settle.

    `strict` (a person's match): a line not unmatched or a charge taken is 409; on import it is skipped."""
    class _Taken(Exception):
        pass

    def taken() -> None:
        raise _Taken

    now = rfc3339(deps.clock.now())
    current = line
    for _ in range(5):
        if current.status != "unmatched":
            if strict:
                raise InvalidStateError(f"Bank transaction {line.id} is {current.status}.",
                                        [FieldError("status", f"is {current.status}")])
            return None
        updated = current.model_copy(update={
            "status": "matched", "match": Match(charge_id=charge.id, how=how), "updated_at": now,
            "version": current.version + 1})
        uow = UnitOfWork()
        deps.repo.save_line(tenant_id, updated, current.version, uow, on_fail=_lost)
        deps.repo.stage_charge_claim(uow, tenant_id, charge.id, line.id, on_fail=taken)
        stage_event(uow, deps.events.make(tenant_id, "bank_transaction.matched",
                                          {"bank_transaction": transaction_event_data(updated)}))
        try:
            uow.commit()
        except _Taken:
            if strict:
                other = deps.repo.charge_line(tenant_id, charge.id)
                raise InvalidStateError(f"Charge {charge.id} is matched to bank transaction {other} already.",
                                        [FieldError("charge_id", f"is matched to {other}")]) from None
            return None
        except _LostRace:
            current = deps.repo.get_line(tenant_id, line.id)
            continue
        try:
            settle_line(tenant_id, updated, charge.method, deps)
        except Exception:  # noqa: BLE001 - the match stands; its event's consumer settles it again
            logger.exception("settlement after a match failed; the consumer will retry",
                             extra={"tenant_id": tenant_id, "line_id": line.id, "charge_id": charge.id})
        return updated
    raise InvalidStateError(f"Bank transaction {line.id} is changing; retry.")


def settle_line(tenant_id: str, line: BankTransaction, method: str, deps: ReconciliationDeps) -> None:
    """Settle the charge a matched line names (again, after a crash: the repeat is a replay)."""
    if line.match is None or line.match.charge_id is None:
        return
    deps.settle(tenant_id, line.match.charge_id, line.amount_cents, _paid_at(line.posted_on), method, line.id)


def transaction_event_data(line: BankTransaction) -> dict[str, Any]:
    return line.model_dump(mode="json", include={"id", "bank_account_id", "statement_id", "posted_on",
                                                 "amount_cents", "description", "fitid", "status", "match"})


# --- a person's decisions ------------------------------------------------------------------------

def match_line(tenant_id: str, line_id: str, charge_id: str | None, payable_id: str | None,
               deps: ReconciliationDeps) -> BankTransaction:
    """`POST /v1/bank-transactions/{id}/match`: settle a charge with this line (once; 409 when the line is
    not unmatched or the charge has its line)."""
    line = deps.repo.get_line(tenant_id, line_id)
    if payable_id is not None:
        raise NotFoundError(f"No payable {payable_id}.", [FieldError("payable_id", "no such payable")])
    assert charge_id is not None
    if line.status != "unmatched":
        raise InvalidStateError(f"Bank transaction {line.id} is {line.status}.",
                                [FieldError("status", f"is {line.status}")])
    if line.amount_cents <= 0:
        raise InvalidRequestError("A debit cannot pay a charge; categorize it or match it to a payable.",
                                  [FieldError("charge_id", "a debit line pays no charge")])
    charge = deps.charges(tenant_id, [charge_id]).get(charge_id)
    if charge is None:
        raise NotFoundError(f"No charge {charge_id}.", [FieldError("charge_id", "no such charge")])
    updated = _match_to_charge(tenant_id, line, charge, "manual", deps, strict=True)
    assert updated is not None
    return updated


def ignore_line(tenant_id: str, line_id: str, reason: str | None, deps: ReconciliationDeps) -> BankTransaction:
    def attempt() -> BankTransaction:
        line = deps.repo.get_line(tenant_id, line_id)
        if line.status != "unmatched":
            raise InvalidStateError(f"Bank transaction {line.id} is {line.status}.",
                                    [FieldError("status", f"is {line.status}")])
        updated = line.model_copy(update={"status": "ignored", "ignored_reason": reason,
                                          "updated_at": rfc3339(deps.clock.now()),
                                          "version": line.version + 1})
        deps.repo.save_line(tenant_id, updated, line.version, on_fail=_lost)
        return updated

    return retry_lost_races(attempt, retry_on=(_LostRace,), attempts=5, what="bank transaction")


def handle_matched(event: Event, deps: ReconciliationDeps) -> None:
    """`bank_transaction.matched`: settle the charge (a replay when the import or the person did already)."""
    data = event.data["bank_transaction"]
    line = deps.repo.get_line(event.tenant_id, data["id"])
    if line.match is None or line.match.charge_id is None:
        return
    charge = deps.charges(event.tenant_id, [line.match.charge_id]).get(line.match.charge_id)
    if charge is not None:
        settle_line(event.tenant_id, line, charge.method, deps)

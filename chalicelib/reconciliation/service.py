"""Use cases of reconciliation: importing a bank's file, matching its lines, bank rules, and a person's
match, categorization or ignore.

An import, whatever runs it twice or at once: the bank account is created on first sight (a claim under a
condition) with its analytic account in the ledger; the lines are stored once (a fingerprint claim per
line, in the lines' transactions); each new credit is then matched in the contract's order (`matching`),
what is left is tried against the bank rules, and the statement is written last with its
`bank_statement.imported` event (which carries the account's opening balance the first time). A match moves
the line out of `unmatched` and claims the charge (no charge takes two lines) with its
`bank_transaction.matched` event, 33 matches per transaction; this context's consumer of that event settles
the charge through collections' payment path (source `statement`, the line id as the notice id, so the
settlement happens once however often the event comes), and the ledger's books the line against the
statement's bank account. A person's match settles at once (and the consumer's repeat is a replay).
Collections treats a statement line and a provider's notice of the same amount as the same money, so a
charge is settled once whichever comes first.
"""

from __future__ import annotations

import bisect
import builtins
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Literal, Protocol

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
    BankRule,
    BankTransaction,
    Match,
    Statement,
    StatementFile,
    StatementLine,
    line_fingerprints,
)
from chalicelib.reconciliation.ofx import BRASILIA

if TYPE_CHECKING:
    from chalicelib.collections.model import Charge

MAX_LINES = 5000  # a month of a busy account; a bigger file is split by the bank's own period choice
MATCHES_PER_TRANSACTION = 33  # 3 items each (the line, the charge's claim, the event): DynamoDB's 100-item limit


class ReconciliationRepository(Protocol):
    def account_for(self, tenant_id: str, bank_code: str, agency: str, account: str,
                    new: Callable[[], BankAccount]) -> tuple[BankAccount, bool]: ...
    def get_account(self, tenant_id: str, account_id: str) -> BankAccount: ...
    def list_accounts(self, tenant_id: str, limit: int, cursor: str | None) -> Page[BankAccount]: ...
    def update_balance(self, tenant_id: str, account: BankAccount, balance_cents: int, balance_on: str) -> bool: ...
    def set_ledger_account(self, tenant_id: str, account_id: str, code: str) -> bool: ...
    def set_opening(self, tenant_id: str, account_id: str, cents: int, day: str) -> bool: ...
    def count_unmatched(self, tenant_id: str, account_id: str, through: str) -> int: ...
    def add_rule(self, tenant_id: str, rule: BankRule) -> None: ...
    def rules(self, tenant_id: str) -> builtins.list[BankRule]: ...
    def delete_rule(self, tenant_id: str, rule_id: str) -> BankRule: ...
    def known_fingerprints(self, tenant_id: str, account_id: str, fingerprints: builtins.list[str]) -> set[str]: ...
    def store_lines(self, tenant_id: str, lines: builtins.list[BankTransaction]) -> builtins.list[BankTransaction]: ...
    def get_line(self, tenant_id: str, line_id: str) -> BankTransaction: ...
    def save_line(self, tenant_id: str, line: BankTransaction, expected_version: int,
                  uow: UnitOfWork | None = None, on_fail: Callable[[], None] = ...) -> None: ...
    def stage_target_claim(self, uow: UnitOfWork, tenant_id: str, target_id: str, line_id: str,
                           on_fail: Callable[[], None]) -> None: ...
    def line_of_target(self, tenant_id: str, target_id: str) -> str | None: ...
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
    # The ledger's, likewise: a bank account's analytic account (by its name, added once), the accounts a
    # line may be booked to, and an account's balance on a day.
    bank_ledger_account: Callable[[str, str], str]
    postable_accounts: Callable[[str], set[str]]
    ledger_balance: Callable[[str, str, date], int]
    # Payables', likewise: the bills still to pay, one bill (404 naming payable_id), and paying one from a
    # debit line (tenant, payable id, amount, paid at, line id); a repeat is a replay.
    open_payables: Callable[[str], builtins.list[Any]]
    payable: Callable[[str, str], Any]
    pay_payable: Callable[[str, str, int, datetime, str], Any]


class _LostRace(Exception):
    pass


def _require_unmatched(line: BankTransaction) -> None:
    """A person's decision is about an `unmatched` line: any other is 409 invalid_state."""
    if line.status != "unmatched":
        raise InvalidStateError(f"Bank transaction {line.id} is {line.status}.",
                                [FieldError("status", f"is {line.status}")])


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
    account = _with_ledger_account(tenant_id, account, deps)
    statement_id = deps.ids.new("stm")
    fingerprints = line_fingerprints(account.id, parsed.lines)
    known = deps.repo.known_fingerprints(tenant_id, account.id, fingerprints)
    fresh = [BankTransaction(
        id=deps.ids.new("btx"), bank_account_id=account.id, statement_id=statement_id, posted_on=line.posted_on,
        amount_cents=line.amount_cents, description=line.description, fitid=line.fitid, kind=line.kind,
        source_format=parsed.format, reference=line.reference, our_number=line.our_number, fee_cents=line.fee_cents,
        fine_interest_cents=line.fine_interest_cents, fingerprint=fp, created_at=now, updated_at=now)
        for line, fp in zip(parsed.lines, fingerprints, strict=True) if fp not in known]
    stored = deps.repo.store_lines(tenant_id, fresh)
    matched_ids = _match_new_lines(tenant_id, account, stored, deps)
    categorized = _apply_rules(tenant_id, account, [t for t in stored if t.id not in matched_ids], deps)
    matched = len(matched_ids) + categorized
    opening = _opening(tenant_id, account, parsed, deps)
    statement = Statement(
        id=statement_id, format=parsed.format, bank_account_id=account.id, period_start=parsed.period_start,
        period_end=parsed.period_end, balance_cents=parsed.balance_cents, balance_on=parsed.balance_on,
        lines=len(parsed.lines), transactions=len(stored), duplicates=len(parsed.lines) - len(stored),
        matched=matched, unmatched=len(stored) - matched, categorized=categorized, skipped=parsed.skipped,
        credits_cents=sum(t.amount_cents for t in stored if t.amount_cents > 0),
        debits_cents=-sum(t.amount_cents for t in stored if t.amount_cents < 0),
        repairs=parsed.repairs, created_at=now)
    data = {**statement_event_data(statement), "bank_ledger_account": account.ledger_account}
    if opening is not None:
        data.update(opening_balance_cents=opening[0], opening_on=opening[1])
    deps.repo.save_statement(tenant_id, statement, deps.events.make(
        tenant_id, "bank_statement.imported", {"bank_statement": data}))
    if parsed.balance_cents is not None and parsed.balance_on is not None:
        deps.repo.update_balance(tenant_id, account, parsed.balance_cents, parsed.balance_on.isoformat())
    logger.info("bank statement imported", extra={"tenant_id": tenant_id, "statement_id": statement_id,
                                                  "lines": len(parsed.lines), "stored": len(stored),
                                                  "matched": matched, "repairs": parsed.repairs})
    return statement


def _with_ledger_account(tenant_id: str, account: BankAccount, deps: ReconciliationDeps) -> BankAccount:
    """The account with its ledger account, opened on first need (after a crash too: by name, once)."""
    if account.ledger_account:
        return account
    code = deps.bank_ledger_account(tenant_id, account.label)
    if not deps.repo.set_ledger_account(tenant_id, account.id, code):
        return deps.repo.get_account(tenant_id, account.id)
    return account.model_copy(update={"ledger_account": code})


def _opening(tenant_id: str, account: BankAccount, parsed: StatementFile,
             deps: ReconciliationDeps) -> tuple[int, str] | None:
    """The account's first statement with a balance sets its opening balance (that balance less the file's
    lines up to its day), once: (cents, day before the first line), or None."""
    if (parsed.format != "ofx" or parsed.balance_cents is None or parsed.balance_on is None
            or account.opening_balance_cents is not None):
        return None
    through = parsed.balance_on
    moved = sum(line.amount_cents for line in parsed.lines if line.posted_on <= through)
    first = min([line.posted_on for line in parsed.lines] + [parsed.period_start or through, through])
    cents, day = parsed.balance_cents - moved, first.isoformat()
    return (cents, day) if deps.repo.set_opening(tenant_id, account.id, cents, day) else None


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
        self._by_amount: builtins.list[tuple[int, str]] = []  # (principal, id) of every charge read, sorted
        self._loaded: dict[str, Charge] = {}

    def charge(self, charge_id: str) -> Charge | None:
        return self.by_id.get(charge_id)

    def charge_by_number(self, number: str) -> Charge | None:
        charge_id = self.by_number.get(number.lstrip("0"))
        return self.by_id.get(charge_id) if charge_id else None

    def open_near(self, day: date, cents: int) -> builtins.list[Charge]:
        """Open charges due in the line's window whose principal could be what it paid (the principal, or
        less by at most the late fees): read once per due date, looked up by amount."""
        days = matching.window(day)
        missing = [d for d in days if d not in self._due]
        if missing:
            for d in missing:
                self._due[d] = []
            for charge in self.deps.open_charges_due(self.tenant_id, missing):
                self._due.setdefault(charge.due_date, []).append(charge)
                self._loaded[charge.id] = charge
                bisect.insort(self._by_amount, (charge.amount_cents, charge.id))
        low = bisect.bisect_left(self._by_amount, (int(cents / matching.MAX_LATE_FACTOR), ""))
        high = bisect.bisect_right(self._by_amount, (cents, "~"))
        return [self._loaded[charge_id] for _, charge_id in self._by_amount[low:high]]


def _as_line(t: BankTransaction) -> StatementLine:
    return StatementLine(fitid=t.fitid, posted_on=t.posted_on, amount_cents=t.amount_cents,
                         description=t.description, kind=t.kind, reference=t.reference, our_number=t.our_number)


def _match_new_lines(tenant_id: str, account: BankAccount, lines: builtins.list[BankTransaction],
                     deps: ReconciliationDeps) -> set[str]:
    """Match the new credits to charges and the debits to bills; the ids of the lines matched."""
    credits = [t for t in lines if t.amount_cents > 0]
    debits = [t for t in lines if t.amount_cents < 0 and t.source_format == "ofx"]
    matched: set[str] = set()
    taken: set[str] = set()
    decisions: builtins.list[tuple[BankTransaction, Match]] = []
    bills = deps.open_payables(tenant_id) if debits else []
    for line in debits:
        bill = matching.bill_for_debit(_as_line(line), bills, taken)
        if bill is not None:
            taken.add(bill.id)
            decisions.append((line, Match(payable_id=bill.id, how="amount_date")))
    candidates = _Candidates(tenant_id, credits, deps)
    for line in credits:
        statement_line = _as_line(line)
        found = matching.by_reference(matching.references(statement_line), candidates.charge,
                                      candidates.charge_by_number, taken)
        how = "reference"
        if found is None:
            found = matching.by_amount(statement_line, candidates.open_near(line.posted_on, line.amount_cents), taken)
            how = "amount_date"
        if found is None:
            continue
        taken.add(found.id)
        decisions.append((line, Match(charge_id=found.id, how=how)))
    for start in range(0, len(decisions), MATCHES_PER_TRANSACTION):
        matched |= _commit_matches(tenant_id, account, decisions[start:start + MATCHES_PER_TRANSACTION], deps)
    return matched


class _Taken(Exception):
    """The charge or bill has its line already."""


def _taken() -> None:
    raise _Taken


def _stage_matched(uow: UnitOfWork, tenant_id: str, account: BankAccount, line: BankTransaction, match: Match,
                   deps: ReconciliationDeps) -> BankTransaction:
    """The line matched (to a charge, a bill or a ledger account) under its version, with its event, staged;
    a charge or a bill is also claimed (one line each)."""
    updated = line.model_copy(update={"status": "matched", "match": match,
                                      "updated_at": rfc3339(deps.clock.now()), "version": line.version + 1})
    deps.repo.save_line(tenant_id, updated, line.version, uow, on_fail=_lost)
    target = match.charge_id or match.payable_id
    if target is not None:
        deps.repo.stage_target_claim(uow, tenant_id, target, line.id, on_fail=_taken)
    stage_event(uow, deps.events.make(tenant_id, "bank_transaction.matched", _event_data(updated, account)))
    return updated


def _commit_matches(tenant_id: str, account: BankAccount, decisions: builtins.list[tuple[BankTransaction, Match]],
                    deps: ReconciliationDeps) -> set[str]:
    """An import's matches, many per transaction (the line, the charge's claim, the event: 3 items each);
    when one of them lost a race, each is tried on its own. The charges are settled by this context's
    consumer of `bank_transaction.matched` (the import stays fast however many lines match)."""
    uow = UnitOfWork()
    for line, match in decisions:
        _stage_matched(uow, tenant_id, account, line, match, deps)
    try:
        uow.commit()
        return {line.id for line, _ in decisions}
    except (_Taken, _LostRace):
        pass
    done = set()
    for line, match in decisions:
        if _match_to(tenant_id, account, line, match, deps, strict=False, settle_now=False):
            done.add(line.id)
    return done


def _apply_rules(tenant_id: str, account: BankAccount, lines: builtins.list[BankTransaction],
                 deps: ReconciliationDeps) -> int:
    """Categorize what the tenant's rules recognize (the first rule that fits, oldest first); how many."""
    if not lines:
        return 0
    rules = deps.repo.rules(tenant_id)
    done = 0
    for line in lines:
        read = _as_line(line)
        rule = next((r for r in rules if matching.rule_matches(r.description_contains, r.direction, read)), None)
        if rule is not None and _resolve(tenant_id, account, line, Match(ledger_account=rule.ledger_account,
                                                                         how="rule"), deps) is not None:
            done += 1
    return done


def _paid_at(day: date) -> datetime:
    """The instant a line's money is taken to have arrived: midday of its day in Brasília."""
    return datetime.combine(day, time(12, 0), tzinfo=BRASILIA)


def _event_data(line: BankTransaction, account: BankAccount) -> dict[str, Any]:
    return {"bank_transaction": transaction_event_data(line), "bank_ledger_account": account.ledger_account}


def _resolve(tenant_id: str, account: BankAccount, line: BankTransaction, match: Match,
             deps: ReconciliationDeps) -> BankTransaction | None:
    """An unmatched line booked to a ledger account (a rule's or a person's), with its event; None when the
    line was resolved otherwise meanwhile."""
    def attempt() -> BankTransaction | None:
        current = deps.repo.get_line(tenant_id, line.id)
        if current.status != "unmatched":
            return None
        uow = UnitOfWork()
        updated = _stage_matched(uow, tenant_id, account, current, match, deps)
        uow.commit()
        return updated

    return retry_lost_races(attempt, retry_on=(_LostRace,), attempts=5, what="bank transaction")


def _match_to(tenant_id: str, account: BankAccount, line: BankTransaction, match: Match, deps: ReconciliationDeps,
              *, strict: bool, settle_now: bool = True, method: str = "") -> BankTransaction | None:
    """Claim the charge or bill for the line (one line each), mark the line matched with its event, then
    settle (`settle_now`; else, and after a crash, the event's consumer does).

    `strict` (a person's match): a line not unmatched or a target taken is 409; on import it is skipped."""
    target = match.charge_id or match.payable_id
    current = line
    for _ in range(5):
        if current.status != "unmatched":
            if strict:
                _require_unmatched(current)
            return None
        uow = UnitOfWork()
        updated = _stage_matched(uow, tenant_id, account, current, match, deps)
        try:
            uow.commit()
        except _Taken:
            if strict:
                assert target is not None
                other = deps.repo.line_of_target(tenant_id, target)
                field = "charge_id" if match.charge_id else "payable_id"
                raise InvalidStateError(f"{target} is matched to bank transaction {other} already.",
                                        [FieldError(field, f"is matched to {other}")]) from None
            return None
        except _LostRace:
            current = deps.repo.get_line(tenant_id, line.id)
            continue
        if not settle_now:
            return updated
        try:
            settle_line(tenant_id, updated, method, deps)
        except Exception:  # noqa: BLE001 - the match stands; its event's consumer settles it again
            logger.exception("settlement after a match failed; the consumer will retry",
                             extra={"tenant_id": tenant_id, "line_id": line.id, "target": target})
        return updated
    raise InvalidStateError(f"Bank transaction {line.id} is changing; retry.")


def settle_line(tenant_id: str, line: BankTransaction, method: str, deps: ReconciliationDeps) -> None:
    """Settle the charge or pay the bill a matched line names (again, after a crash: the repeat is a replay)."""
    if line.match is None:
        return
    if line.match.charge_id is not None:
        deps.settle(tenant_id, line.match.charge_id, line.amount_cents, _paid_at(line.posted_on), method, line.id)
    elif line.match.payable_id is not None:
        deps.pay_payable(tenant_id, line.match.payable_id, -line.amount_cents, _paid_at(line.posted_on), line.id)


def transaction_event_data(line: BankTransaction) -> dict[str, Any]:
    return line.model_dump(mode="json", include={"id", "bank_account_id", "statement_id", "posted_on",
                                                 "amount_cents", "description", "fitid", "status", "match",
                                                 "source_format", "fee_cents"})


# --- a person's decisions ------------------------------------------------------------------------

def match_line(tenant_id: str, line_id: str, charge_id: str | None, payable_id: str | None,
               deps: ReconciliationDeps) -> BankTransaction:
    """`POST /v1/bank-transactions/{id}/match`: settle a charge with this credit, or pay a bill with this
    debit (once; 409 when the line is not unmatched or the charge or bill has its line)."""
    line = deps.repo.get_line(tenant_id, line_id)
    _require_unmatched(line)
    account = _with_ledger_account(tenant_id, deps.repo.get_account(tenant_id, line.bank_account_id), deps)
    if payable_id is not None:
        if line.amount_cents >= 0:
            raise InvalidRequestError("A credit pays no bill; match it to a charge or categorize it.",
                                      [FieldError("payable_id", "a credit line pays no payable")])
        bill = deps.payable(tenant_id, payable_id)
        if bill.status == "cancelled":
            raise InvalidStateError(f"Payable {payable_id} is cancelled.", [FieldError("payable_id", "is cancelled")])
        updated = _match_to(tenant_id, account, line, Match(payable_id=payable_id, how="manual"), deps, strict=True)
        assert updated is not None
        return updated
    assert charge_id is not None
    if line.amount_cents <= 0:
        raise InvalidRequestError("A debit cannot pay a charge; categorize it or match it to a payable.",
                                  [FieldError("charge_id", "a debit line pays no charge")])
    charge = deps.charges(tenant_id, [charge_id]).get(charge_id)
    if charge is None:
        raise NotFoundError(f"No charge {charge_id}.", [FieldError("charge_id", "no such charge")])
    updated = _match_to(tenant_id, account, line, Match(charge_id=charge.id, how="manual"), deps, strict=True,
                        method=charge.method)
    assert updated is not None
    return updated


def categorize_line(tenant_id: str, line_id: str, ledger_account: str, deps: ReconciliationDeps) -> BankTransaction:
    """`POST /v1/bank-transactions/{id}/categorize`: book the line straight to an analytic account (a fee, a
    transfer, rent); 409 when the line is not unmatched, 400 naming `ledger_account` when it is no analytic
    account of the chart (nor the statement's own account)."""
    line = deps.repo.get_line(tenant_id, line_id)
    account = _with_ledger_account(tenant_id, deps.repo.get_account(tenant_id, line.bank_account_id), deps)
    _check_account(tenant_id, ledger_account, deps, own=account.ledger_account)
    _require_unmatched(line)
    updated = _resolve(tenant_id, account, line, Match(ledger_account=ledger_account, how="manual"), deps)
    if updated is None:
        _require_unmatched(deps.repo.get_line(tenant_id, line_id))  # resolved by someone else meanwhile
    assert updated is not None
    return updated


def _check_account(tenant_id: str, code: str, deps: ReconciliationDeps, own: str | None = None) -> None:
    if code == own:
        raise InvalidRequestError("A line cannot be booked to its own bank account.",
                                  [FieldError("ledger_account", "is the statement's own bank account")])
    if code not in deps.postable_accounts(tenant_id):
        raise InvalidRequestError(f"{code} is not an analytic account of the chart.",
                                  [FieldError("ledger_account", "is not an analytic account of the chart "
                                                                "(GET /v1/ledger/accounts)")])


MAX_RULES = 200


def add_rule(tenant_id: str, description_contains: str, direction: Literal["credit", "debit"], ledger_account: str,
             deps: ReconciliationDeps) -> BankRule:
    _check_account(tenant_id, ledger_account, deps)
    if len(deps.repo.rules(tenant_id)) >= MAX_RULES:
        raise InvalidRequestError(f"A tenant keeps at most {MAX_RULES} bank rules.",
                                  [FieldError("description_contains", f"at most {MAX_RULES} rules")])
    rule = BankRule(id=deps.ids.new("rul"), description_contains=description_contains, direction=direction,
                    ledger_account=ledger_account, created_at=rfc3339(deps.clock.now()))
    deps.repo.add_rule(tenant_id, rule)
    return rule


def balance_check(tenant_id: str, statement: Statement, deps: ReconciliationDeps) -> dict[str, Any] | None:
    """Does the books' bank account hold what the bank says on the statement's day? Only once every line up
    to that day is resolved (matched, categorized or ignored) can it; None for a file with no balance."""
    if statement.format != "ofx" or statement.balance_cents is None or statement.balance_on is None:
        return None
    account = deps.repo.get_account(tenant_id, statement.bank_account_id)
    ledger = deps.ledger_balance(tenant_id, account.ledger_account, statement.balance_on) \
        if account.ledger_account else 0
    unmatched = deps.repo.count_unmatched(tenant_id, account.id, statement.balance_on.isoformat())
    return {"ledger_account": account.ledger_account, "statement_balance_cents": statement.balance_cents,
            "ledger_balance_cents": ledger, "difference_cents": statement.balance_cents - ledger,
            "unmatched_lines": unmatched, "balanced": ledger == statement.balance_cents}


def ignore_line(tenant_id: str, line_id: str, reason: str | None, deps: ReconciliationDeps) -> BankTransaction:
    def attempt() -> BankTransaction:
        line = deps.repo.get_line(tenant_id, line_id)
        _require_unmatched(line)
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
    if line.match is None:
        return
    if line.match.payable_id is not None:
        try:
            settle_line(event.tenant_id, line, "", deps)
        except InvalidStateError:  # money left for a bill cancelled or paid otherwise: a person decides
            logger.warning("a statement debit matched a bill that cannot be paid",
                           extra={"tenant_id": event.tenant_id, "line_id": line.id,
                                  "payable_id": line.match.payable_id})
        return
    if line.match.charge_id is None:
        return
    charge = deps.charges(event.tenant_id, [line.match.charge_id]).get(line.match.charge_id)
    if charge is not None:
        settle_line(event.tenant_id, line, charge.method, deps)

"""Use cases of the ledger: the chart, postings from events (exactly once each), manual entries, the
journal, the trial balance and the accountant's export.

Exactly once: an event's entry is written with a marker keyed by the event id under a condition, so a
redelivered or replayed event books nothing twice; a cancellation reverses the entry of its document,
marked under a condition, so a document is reversed once whichever event asks. The trial balance reads
each account's monthly totals (kept by the same transaction as the entries) and the days of the as-of
month: its cost grows with months and accounts, not with the journal."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from chalicelib.ledger import model
from chalicelib.ledger.model import Account, Entry, Line, Posting, Source
from chalicelib.platform.clock import Clock, business_date, rfc3339
from chalicelib.platform.dynamo import retry_lost_races
from chalicelib.platform.errors import ConflictError, FieldError, InvalidRequestError
from chalicelib.platform.events import Event
from chalicelib.platform.ids import IdGenerator
from chalicelib.platform.money import decimal_comma
from chalicelib.platform.observability import logger
from chalicelib.platform.pagination import Page
from chalicelib.platform.spreadsheet import dd_mm_yyyy, pt_br_csv

MAX_EXPORT_DAYS = 366


class LedgerRepository(Protocol):
    def custom_accounts(self, tenant_id: str) -> list[Account]: ...
    def add_account(self, tenant_id: str, account: Account) -> None: ...
    def post(self, tenant_id: str, entry: Entry, *, document: tuple[str, str] | None = None,
             reverses: tuple[str, str] | None = None, unapplied: tuple[str, int, int] | None = None) -> bool: ...
    def document_entry(self, tenant_id: str, kind: str, document_id: str) -> tuple[Entry, str | None] | None: ...
    def unapplied_booked(self, tenant_id: str, charge_id: str) -> int: ...
    def get_entry(self, tenant_id: str, entry_id: str) -> Entry: ...
    def list_entries(self, tenant_id: str, first_day: str, last_day: str, account: str | None, limit: int,
                     cursor: str | None) -> Page[Entry]: ...
    def entries_between(self, tenant_id: str, first_day: str, last_day: str) -> Iterable[Entry]: ...
    def totals_before(self, tenant_id: str, month: str) -> dict[str, tuple[int, int]]: ...


@dataclass(frozen=True)
class LedgerDeps:
    repo: LedgerRepository
    ids: IdGenerator
    clock: Clock
    costs: Callable[[str, list[str]], dict[str, int]]  # the catalog's unit costs of SKUs (centavos)


class DocumentNotBookedYetError(RuntimeError):
    """A cancellation arrived before the entry it reverses: the message is retried (SQS redelivers it)."""


def chart(tenant_id: str, deps: LedgerDeps) -> dict[str, Account]:
    accounts = dict(model.DEFAULT_CHART)
    accounts.update({a.code: a for a in deps.repo.custom_accounts(tenant_id)})
    return dict(sorted(accounts.items(), key=lambda item: [int(p) for p in item[0].split(".")]))


def add_account(tenant_id: str, code: str, name: str, parent: str, kind: str | None, group: bool,
                deps: LedgerDeps) -> Account:
    accounts = chart(tenant_id, deps)
    problems = model.check_new_account(code, accounts.get(parent), kind)
    if problems:
        raise InvalidRequestError("The account cannot be added there.", [FieldError(f, m) for f, m in problems])
    if code in accounts:
        raise ConflictError(f"Account {code} already exists.", [FieldError("code", "is already an account")])
    account = Account(code=code, name=name, type=accounts[parent].type, parent=parent, group=group, system=False)
    deps.repo.add_account(tenant_id, account)
    return account


def bank_account_code(tenant_id: str, name: str, deps: LedgerDeps) -> str:
    """The analytic account under 1.1.1 Disponível named `name` (a statement's bank account), added with the
    next free code (1.1.1.10, 1.1.1.11, …) the first time; the same name again finds it."""
    for _ in range(5):
        accounts = chart(tenant_id, deps)
        for account in accounts.values():
            if account.parent == model.AVAILABLE and account.name == name:
                return account.code
        taken = {int(code.rsplit(".", 1)[1]) for code in accounts if code.startswith(model.AVAILABLE + ".")}
        code = f"{model.AVAILABLE}.{max([9, *taken]) + 1:02d}"
        try:
            add_account(tenant_id, code, name, model.AVAILABLE, None, False, deps)
        except ConflictError:  # another request took the code first: read again
            continue
        return code
    raise ConflictError("The chart is changing too fast to add the bank's account; retry.")


def postable_accounts(tenant_id: str, deps: LedgerDeps) -> set[str]:
    """The analytic accounts of the chart (what a line may be booked to)."""
    return {code for code, account in chart(tenant_id, deps).items() if not account.group}


def account_balance(tenant_id: str, code: str, as_of: date, deps: LedgerDeps) -> int:
    """One account's balance up to `as_of`, in its normal direction."""
    rows = trial_balance(tenant_id, as_of, deps)["accounts"]
    return next((int(row["balance_cents"]) for row in rows if row["code"] == code), 0)


# Postings from events
def _day(value: str | None, fallback: str) -> str:
    instant = value or fallback
    return business_date(datetime.fromisoformat(instant.replace("Z", "+00:00"))).isoformat()


def _post(tenant_id: str, entry: Entry, deps: LedgerDeps, **guards: Any) -> bool:
    """Write an entry, again while DynamoDB cancels it for a concurrent transaction on one of its accounts'
    monthly totals (two entries of one account at once); its guards make a retry harmless."""
    return retry_lost_races(lambda: deps.repo.post(tenant_id, entry, **guards), retry_on=(), attempts=12,
                            what="ledger")


def _entry(posting: Posting, source: Source, deps: LedgerDeps, reverses: str | None = None) -> Entry:
    return Entry(id=deps.ids.new("jnl"), date=posting.date, memo=posting.memo, source=source,
                 lines=posting.lines, reverses=reverses, created_at=rfc3339(deps.clock.now()))


def _reverse(event: Event, kind: str, document_id: str, booked_at_all: bool, deps: LedgerDeps) -> bool:
    """Reverse the entry that booked a document. `booked_at_all`: whether its first event books anything
    (an NF-e of no value and a charge of an order do not): then a missing entry is one not written yet."""
    if not booked_at_all:
        return False
    booked = deps.repo.document_entry(event.tenant_id, kind, document_id)
    if booked is None:
        raise DocumentNotBookedYetError(f"{kind} {document_id} has no entry yet to reverse")
    original, reversed_by = booked
    if reversed_by:
        return False
    posting = Posting(_day(None, event.occurred_at), f"Estorno: {original.memo}", model.reversed_lines(original.lines),
                      document_id)
    source = Source(event_id=event.id, type=event.type, document_id=document_id)
    return _post(event.tenant_id, _entry(posting, source, deps, reverses=original.id), deps,
                 reverses=(kind, document_id))


# A cancellation reverses the entry its document's first event booked: (document kind, that booking).
REVERSALS: dict[str, tuple[str, Callable[[Any, str], Posting | None]]] = {
    "invoice.cancelled": ("invoice", model.invoice_authorized),
    "charge.cancelled": ("charge", model.standalone_charge),
    "payable.cancelled": ("payable", model.payable_created),
}


def post_event(event: Event, deps: LedgerDeps) -> bool:
    """Book what an event means, once; True when an entry was written now."""
    tenant_id, data = event.tenant_id, event.data
    if event.type in REVERSALS:
        kind, booking = REVERSALS[event.type]
        document_data = data[kind]
        return _reverse(event, kind, document_data["id"], booking(document_data, event.occurred_at) is not None, deps)
    posting: Posting | None = None
    document: tuple[str, str] | None = None
    unapplied: tuple[str, int, int] | None = None
    if event.type == "invoice.authorized":
        invoice = data["invoice"]
        posting = model.invoice_authorized(invoice, _day(invoice.get("authorized_at"), event.occurred_at))
        document = ("invoice", invoice["id"])
    elif event.type == "order.shipped":
        order = data["order"]
        skus = sorted({line["sku"] for line in order.get("lines", [])})
        posting = model.order_shipped(order, deps.costs(tenant_id, skus) if skus else {},
                                      _day(None, event.occurred_at))
    elif event.type == "charge.created":
        charge = data["charge"]
        posting = model.standalone_charge(charge, _day(None, event.occurred_at))
        document = ("charge", charge["id"])
    elif event.type == "charge.paid":
        charge = data["charge"]
        posting = model.charge_paid(charge, _day(charge.get("paid_at"), event.occurred_at))
    elif event.type == "payable.created":
        payable = data["payable"]
        posting = model.payable_created(payable, _day(payable.get("created_at"), event.occurred_at))
        document = ("payable", payable["id"])
    elif event.type == "inbound_invoice.accepted":
        invoice = data["inbound_invoice"]
        posting = model.purchase_accepted(invoice, _day(invoice.get("accepted_at"), event.occurred_at))
        document = ("inbound_invoice", invoice["id"])
    elif event.type == "payable.paid":
        payable = data["payable"]
        posting = model.payable_paid(payable, _day(payable.get("paid_at"), event.occurred_at))
    elif event.type == "bank_transaction.matched":
        line = data["bank_transaction"]
        posting = model.bank_line(line, data.get("bank_ledger_account"), line["posted_on"])
    elif event.type == "bank_statement.imported":
        statement = data["bank_statement"]
        posting = model.bank_opening(statement, str(statement.get("opening_on") or _day(None, event.occurred_at)))
    elif event.type == "charge.payment_unapplied":
        charge = data["charge"]
        before = deps.repo.unapplied_booked(tenant_id, charge["id"])
        now = int(charge.get("unapplied_cents") or 0)
        posting = model.charge_unapplied(charge, now - before, _day(None, event.occurred_at))
        unapplied = (charge["id"], before, now)
    if posting is None:
        logger.info("nothing to book", extra={"event_type": event.type})
        return False
    source = Source(event_id=event.id, type=event.type, document_id=posting.document_id)
    return _post(tenant_id, _entry(posting, source, deps), deps, document=document, unapplied=unapplied)


# Manual entries
def manual_entry(tenant_id: str, day: date, memo: str, lines: list[dict[str, Any]], deps: LedgerDeps) -> Entry:
    """A person's entry: every account analytic and in the chart, debits equal to credits (400 naming
    `lines` otherwise), dated today or before."""
    if day > business_date(deps.clock.now()):
        raise InvalidRequestError("A ledger entry is dated today or before.", [FieldError("date", "is in the future")])
    accounts = chart(tenant_id, deps)
    problems = []
    for n, line in enumerate(lines):
        account = accounts.get(line["account"])
        if account is None:
            problems.append(FieldError(f"lines.{n}.account", "is not an account of the chart"))
        elif account.group:
            problems.append(FieldError(f"lines.{n}.account", "is a group account; post to one of its children"))
        if (line.get("debit_cents", 0) > 0) == (line.get("credit_cents", 0) > 0):
            problems.append(FieldError(f"lines.{n}", "has exactly one of debit_cents and credit_cents above zero"))
    if problems:
        raise InvalidRequestError("The entry's lines are not valid.", problems)
    try:
        entry = Entry(id=deps.ids.new("jnl"), date=day.isoformat(), memo=memo,
                      source=Source(event_id=None, type="manual"), lines=tuple(Line(**line) for line in lines),
                      created_at=rfc3339(deps.clock.now()))
    except ValueError as exc:  # the Entry's own check (UnbalancedEntryError, wrapped by pydantic)
        raise InvalidRequestError("The entry does not balance.",
                                  [FieldError("lines", _reason(exc))]) from None
    _post(tenant_id, entry, deps)
    return entry


def _reason(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        for error in errors():
            return str(error.get("msg", exc)).removeprefix("Value error, ")
    return str(exc)


# Reading
def trial_balance(tenant_id: str, as_of: date, deps: LedgerDeps) -> dict[str, Any]:
    """Every analytic account with movement up to `as_of`: debits, credits and balance; totals equal."""
    month = as_of.isoformat()[:7]
    totals = dict(deps.repo.totals_before(tenant_id, month))
    for entry in deps.repo.entries_between(tenant_id, f"{month}-01", as_of.isoformat()):
        model.add_totals(entry.lines, totals)
    accounts = chart(tenant_id, deps)
    rows = [model.trial_balance_row(accounts[code], *totals[code]) for code in accounts if code in totals]
    return {"as_of": as_of.isoformat(), "accounts": rows,
            "totals": {"debit_cents": sum(r["debit_cents"] for r in rows),
                       "credit_cents": sum(r["credit_cents"] for r in rows)}}


def check_range(first: date, last: date, max_days: int | None = None) -> None:
    if last < first:
        raise InvalidRequestError("The range ends before it starts.", [FieldError("to", "is before from")])
    if max_days is not None and (last - first).days >= max_days:
        raise InvalidRequestError(f"Export at most {max_days} days at a time.",
                                  [FieldError("to", f"is more than {max_days} days after from")])


EXPORT_HEADER = ("data", "lancamento", "conta", "nome_da_conta", "debito", "credito", "historico", "origem",
                 "evento")


def export_csv(tenant_id: str, first: date, last: date, deps: LedgerDeps) -> str:
    """The journal for the accountant: one row per entry line, `;`-separated, dates dd/mm/yyyy and amounts
    in reais with a decimal comma (what Excel and LibreOffice in pt-BR open as numbers), UTF-8 with a BOM."""
    check_range(first, last, MAX_EXPORT_DAYS)
    accounts = chart(tenant_id, deps)

    def rows() -> Iterator[tuple[str, ...]]:
        for entry in deps.repo.entries_between(tenant_id, first.isoformat(), last.isoformat()):
            for line in entry.lines:
                account = accounts.get(line.account)
                yield (dd_mm_yyyy(entry.date), entry.id, line.account, account.name if account else "",
                       decimal_comma(line.debit_cents), decimal_comma(line.credit_cents), entry.memo, entry.source.type,
                       entry.source.event_id or "")

    return pt_br_csv(EXPORT_HEADER, rows())

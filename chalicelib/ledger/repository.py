"""The ledger in the single table. An entry is written in one transaction with what keeps the books
right: the event's marker (an event posts once), the claim of the document it books or the mark on the
entry it reverses (a document is reversed once), and an ADD to each touched account's monthly totals,
which the trial balance reads instead of the whole journal."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import Any

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.expressions.condition import Condition

from chalicelib.ledger import keys
from chalicelib.ledger.model import Account, Entry, add_totals
from chalicelib.platform.dynamo import BaseRecord, UnitOfWork, get_item, query_rows
from chalicelib.platform.errors import ConflictError, FieldError, NotFoundError
from chalicelib.platform.ids import is_id
from chalicelib.platform.pagination import Page, paginate


class AccountRecord(BaseRecord):
    doc = JSONAttribute()


class EntryRecord(BaseRecord):
    doc = JSONAttribute()
    accounts = ListAttribute(of=UnicodeAttribute)


class PostedRecord(BaseRecord):
    entry_id = UnicodeAttribute()


class DocumentRecord(BaseRecord):
    entry_id = UnicodeAttribute()
    reversed_by = UnicodeAttribute(null=True)


class BalanceRecord(BaseRecord):
    debit_cents = NumberAttribute(null=True)
    credit_cents = NumberAttribute(null=True)


class UnappliedRecord(BaseRecord):
    booked_cents = NumberAttribute()


class AlreadyPostedError(Exception):
    """The event (or the document reversal) was booked before: nothing to do."""


def _already() -> None:
    raise AlreadyPostedError


def _entry(record: EntryRecord) -> Entry:
    return Entry.model_validate(record.doc)


def _journal(tenant_id: str, first_day: str, last_day: str) -> tuple[str, Condition]:
    """The journal index's partition and the key condition of the days first_day..last_day."""
    low = keys.journal_index(tenant_id, first_day, "")
    high = keys.journal_index(tenant_id, last_day, "~")
    return low.pk, EntryRecord.gsi1sk.between(low.sk, high.sk)


class DynamoLedgerRepository:
    # The chart: the default accounts are code; a tenant's own are items.
    def custom_accounts(self, tenant_id: str) -> builtins.list[Account]:
        prefix = keys.account_prefix(tenant_id)
        return [Account.model_validate(r.doc)
                for r in AccountRecord.query(prefix.pk, AccountRecord.sk.startswith(prefix.sk))]

    def add_account(self, tenant_id: str, account: Account) -> None:
        record = AccountRecord.at(keys.account(tenant_id, account.code), kind="ledger_account",
                                  doc=account.model_dump(mode="json"))
        uow = UnitOfWork()
        uow.put(record, condition=AccountRecord.pk.does_not_exist(),
                on_fail=ConflictError(f"Account {account.code} already exists.",
                                      [FieldError("code", "is already an account of the chart")]))
        uow.commit()

    # Posting
    def post(self, tenant_id: str, entry: Entry, *, document: tuple[str, str] | None = None,
             reverses: tuple[str, str] | None = None, unapplied: tuple[str, int, int] | None = None) -> bool:
        """Write the entry with its guards; False when its event (or the reversal) was booked before.

        `document` (kind, id): the document the entry books, claimed once. `reverses` (kind, id): the
        document whose entry this one reverses, marked once. `unapplied` (charge id, booked before, now):
        the running total of money owed back on a charge, moved from what was read."""
        uow = UnitOfWork()
        journal = keys.journal_index(tenant_id, entry.date, entry.id)
        uow.put(EntryRecord.at(keys.entry(tenant_id, entry.id), kind="ledger_entry",
                               doc=entry.model_dump(mode="json"), accounts=entry.accounts,
                               gsi1pk=journal.pk, gsi1sk=journal.sk),
                condition=EntryRecord.pk.does_not_exist())
        if entry.source.event_id:
            uow.put(PostedRecord.at(keys.posted(tenant_id, entry.source.event_id), kind="ledger_posted",
                                    entry_id=entry.id),
                    condition=PostedRecord.pk.does_not_exist(), on_fail=_already)
        if document:
            uow.put(DocumentRecord.at(keys.document(tenant_id, *document), kind="ledger_document",
                                      entry_id=entry.id),
                    condition=DocumentRecord.pk.does_not_exist(), on_fail=_already)
        if reverses:
            uow.update(DocumentRecord.at(keys.document(tenant_id, *reverses)),
                       actions=[DocumentRecord.reversed_by.set(entry.id)],
                       condition=DocumentRecord.pk.exists() & DocumentRecord.reversed_by.does_not_exist(),
                       on_fail=_already)
        if unapplied:
            charge_id, before, now = unapplied
            record = UnappliedRecord.at(keys.unapplied(tenant_id, charge_id), kind="ledger_unapplied",
                                        booked_cents=now)
            uow.put(record, condition=(UnappliedRecord.pk.does_not_exist() if before == 0
                                       else UnappliedRecord.booked_cents == before), on_fail=_already)
        month = entry.date[:7]
        for code, (debits, credits) in add_totals(entry.lines, {}).items():
            uow.update(BalanceRecord.at(keys.balance(tenant_id, month, code)),
                       actions=[BalanceRecord.debit_cents.add(debits), BalanceRecord.credit_cents.add(credits),
                                BalanceRecord.kind.set("ledger_balance")])
        try:
            uow.commit()
        except AlreadyPostedError:
            return False
        return True

    def document_entry(self, tenant_id: str, kind: str, document_id: str) -> tuple[Entry, str | None] | None:
        """The entry that booked a document, and the entry that reversed it (if any)."""
        key = keys.document(tenant_id, kind, document_id)
        try:
            record = DocumentRecord.get(key.pk, key.sk, consistent_read=True)
        except DocumentRecord.DoesNotExist:
            return None
        return self.get_entry(tenant_id, str(record.entry_id)), record.reversed_by

    def unapplied_booked(self, tenant_id: str, charge_id: str) -> int:
        key = keys.unapplied(tenant_id, charge_id)
        try:
            return int(UnappliedRecord.get(key.pk, key.sk, consistent_read=True).booked_cents)
        except UnappliedRecord.DoesNotExist:
            return 0

    # Reading
    def get_entry(self, tenant_id: str, entry_id: str) -> Entry:
        key = keys.entry(tenant_id, entry_id) if is_id(entry_id, "jnl") else None
        return _entry(get_item(EntryRecord, key, NotFoundError(f"No ledger entry {entry_id}."),
                               consistent_read=False))

    def list_entries(self, tenant_id: str, first_day: str, last_day: str, account: str | None, limit: int,
                     cursor: str | None) -> Page[Entry]:
        """Entries dated first_day..last_day, in date order, through the journal index."""
        partition, dates = _journal(tenant_id, first_day, last_day)
        only = EntryRecord.accounts.contains(account) if account else None

        def fetch(n: int, position: dict[str, Any] | None) -> builtins.list[tuple[Entry, dict[str, str]]]:
            rows = query_rows(EntryRecord, partition, dates, n, position, by_gsi1=True, filter_condition=only)
            return [(_entry(r), pos) for r, pos in rows]

        return paginate(f"{tenant_id}:ledger:{first_day}:{last_day}:{account or '*'}", limit, cursor, fetch)

    def entries_between(self, tenant_id: str, first_day: str, last_day: str) -> Iterator[Entry]:
        """Every entry dated first_day..last_day, in date order."""
        for record in EntryRecord.gsi1.query(*_journal(tenant_id, first_day, last_day)):
            yield _entry(record)  # type: ignore[arg-type]

    def totals_before(self, tenant_id: str, month: str) -> dict[str, tuple[int, int]]:
        """Each account's (debits, credits) over every month before `month` (YYYY-MM)."""
        prefix = keys.balance_prefix(tenant_id)
        totals: dict[str, tuple[int, int]] = {}
        for record in BalanceRecord.query(prefix.pk, BalanceRecord.sk.between(prefix.sk, prefix.sk + month)):
            code = str(record.sk).rsplit("#", 1)[1]
            debits, credits = totals.get(code, (0, 0))
            totals[code] = (debits + int(record.debit_cents or 0), credits + int(record.credit_cents or 0))
        return totals

    def monthly_totals(self, tenant_id: str) -> dict[tuple[str, str], tuple[int, int]]:
        """Every (month, account) total kept: what the invariant audit checks against the journal."""
        prefix = keys.balance_prefix(tenant_id)
        out = {}
        for record in BalanceRecord.query(prefix.pk, BalanceRecord.sk.startswith(prefix.sk)):
            _, month, code = str(record.sk).split("#")
            out[(month, code)] = (int(record.debit_cents or 0), int(record.credit_cents or 0))
        return out

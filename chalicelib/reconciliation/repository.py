"""Reconciliation in the single table.

A bank account is created once per bank/agency/account (a claim item under a condition, with the account,
in one transaction). A statement's lines are stored once: each line goes in with its fingerprint claim
(account + FITID + content hash) under a condition, up to 50 lines per transaction; a chunk that loses a
race to a concurrent import of the same file is re-read and only its unknown lines are written. A line's
match moves it out of `unmatched` under a condition on its version, and claims the charge it settles, so
no line settles two charges and no charge takes two lines."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError

from chalicelib.platform.dynamo import BaseRecord, UnitOfWork, batch_get, get_item, newest_page, query_rows
from chalicelib.platform.errors import ConflictError, NotFoundError
from chalicelib.platform.events import Event, stage_event
from chalicelib.platform.ids import is_id
from chalicelib.platform.pagination import Page, paginate
from chalicelib.reconciliation import keys
from chalicelib.reconciliation.model import BankAccount, BankRule, BankTransaction, Statement

LINES_PER_TRANSACTION = 50  # two items each (the line and its fingerprint): DynamoDB's 100-item limit


class DocRecord(BaseRecord):
    doc = JSONAttribute()
    version = NumberAttribute(null=True)
    bank_account_id = UnicodeAttribute(null=True)  # a line's account (the list filter)


class AccountRecord(BaseRecord):
    """A bank account: what the statement named (doc), and what later statements and the ledger set, each
    its own attribute so one never overwrites another."""

    doc = JSONAttribute()
    balance_cents = NumberAttribute(null=True)
    balance_at = UnicodeAttribute(null=True)
    ledger_account = UnicodeAttribute(null=True)
    opening_balance_cents = NumberAttribute(null=True)
    opening_on = UnicodeAttribute(null=True)


class RefRecord(BaseRecord):
    ref_id = UnicodeAttribute()


class LostRaceError(Exception):
    """A concurrent writer got there first: read again and retry."""


def _lost() -> None:
    raise LostRaceError


def _account(record: AccountRecord) -> BankAccount:
    opening = record.opening_balance_cents
    return BankAccount.model_validate({
        **record.doc, "balance_cents": int(record.balance_cents) if record.balance_cents is not None else None,
        "balance_at": record.balance_at, "ledger_account": record.ledger_account,
        "opening_balance_cents": int(opening) if opening is not None else None, "opening_on": record.opening_on})


def _line(record: DocRecord) -> BankTransaction:
    return BankTransaction.model_validate(record.doc)


def _line_record(tenant_id: str, line: BankTransaction) -> DocRecord:
    index = keys.line_status_index(tenant_id, line.status, line.bank_account_id, line.id)
    return DocRecord.at(keys.line(tenant_id, line.id), kind="bank_transaction", doc=line.model_dump(mode="json"),
                        version=line.version, bank_account_id=line.bank_account_id, gsi1pk=index.pk,
                        gsi1sk=index.sk)


class DynamoReconciliationRepository:
    # Bank accounts
    def account_for(self, tenant_id: str, bank_code: str, agency: str, account: str,
                    new: Callable[[], BankAccount]) -> tuple[BankAccount, bool]:
        """The account these numbers name, created (from `new()`) the first time: (account, created)."""
        ref = keys.bank_account_ref(tenant_id, bank_code, agency, account)
        for _ in range(3):
            try:
                found = RefRecord.get(ref.pk, ref.sk, consistent_read=True)
                return self.get_account(tenant_id, str(found.ref_id)), False
            except RefRecord.DoesNotExist:
                pass
            created = new()
            uow = UnitOfWork()
            uow.put(RefRecord.at(ref, kind="bank_account_ref", ref_id=created.id),
                    condition=RefRecord.pk.does_not_exist(), on_fail=_lost)
            uow.put(AccountRecord.at(keys.bank_account(tenant_id, created.id), kind="bank_account",
                                     doc=created.model_dump(mode="json", include={"id", "bank_code", "agency",
                                                                                  "account", "created_at"})),
                    condition=AccountRecord.pk.does_not_exist())
            try:
                uow.commit()
            except LostRaceError:
                continue
            return created, True
        raise ConflictError("The bank account is being created by another request; retry.")

    def get_account(self, tenant_id: str, account_id: str) -> BankAccount:
        key = keys.bank_account(tenant_id, account_id) if is_id(account_id, "bac") else None
        return _account(get_item(AccountRecord, key, NotFoundError(f"No bank account {account_id}.")))

    def list_accounts(self, tenant_id: str, limit: int, cursor: str | None) -> Page[BankAccount]:
        prefix = keys.bank_account_prefix(tenant_id)

        def fetch(n: int, position: dict[str, Any] | None) -> builtins.list[tuple[BankAccount, dict[str, str]]]:
            rows = query_rows(AccountRecord, prefix.pk, AccountRecord.sk.startswith(prefix.sk), n, position)
            return [(_account(r), pos) for r, pos in rows]

        return paginate(f"{tenant_id}:bank-accounts", limit, cursor, fetch)

    def _set(self, tenant_id: str, account_id: str, actions: builtins.list[Any], condition: Any) -> bool:
        record = AccountRecord.at(keys.bank_account(tenant_id, account_id))
        try:
            record.update(actions=actions, condition=AccountRecord.pk.exists() & condition)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def update_balance(self, tenant_id: str, account: BankAccount, balance_cents: int, balance_on: str) -> bool:
        """Keep the newest statement balance: an older statement imported later changes nothing."""
        newer = AccountRecord.balance_at.does_not_exist() | (AccountRecord.balance_at <= balance_on)
        return self._set(tenant_id, account.id, [AccountRecord.balance_cents.set(balance_cents),
                                                 AccountRecord.balance_at.set(balance_on)], newer)

    def set_ledger_account(self, tenant_id: str, account_id: str, code: str) -> bool:
        return self._set(tenant_id, account_id, [AccountRecord.ledger_account.set(code)],
                         AccountRecord.ledger_account.does_not_exist())

    def set_opening(self, tenant_id: str, account_id: str, cents: int, day: str) -> bool:
        """The balance before the account's first statement with one: set once (False when it was)."""
        return self._set(tenant_id, account_id, [AccountRecord.opening_balance_cents.set(cents),
                                                 AccountRecord.opening_on.set(day)],
                         AccountRecord.opening_balance_cents.does_not_exist())

    # Lines
    def known_fingerprints(self, tenant_id: str, account_id: str, fingerprints: builtins.list[str]) -> set[str]:
        """Which of these fingerprints are stored (one BatchGetItem per 100)."""
        wanted = [keys.fingerprint(tenant_id, account_id, fp) for fp in fingerprints]
        return {str(record.sk).rsplit("#", 1)[1] for record in batch_get(RefRecord, wanted, consistent_read=True)}

    def store_lines(self, tenant_id: str, lines: builtins.list[BankTransaction]) -> builtins.list[BankTransaction]:
        """Store the lines whose fingerprint is new; the ones a concurrent import stored first are left out."""
        stored: builtins.list[BankTransaction] = []
        for start in range(0, len(lines), LINES_PER_TRANSACTION):
            chunk = lines[start:start + LINES_PER_TRANSACTION]
            while chunk:
                uow = UnitOfWork()
                for line in chunk:
                    uow.put(RefRecord.at(keys.fingerprint(tenant_id, line.bank_account_id, line.fingerprint),
                                         kind="bank_transaction_fingerprint", ref_id=line.id),
                            condition=RefRecord.pk.does_not_exist(), on_fail=_lost)
                    uow.put(_line_record(tenant_id, line), condition=DocRecord.pk.does_not_exist())
                try:
                    uow.commit()
                except LostRaceError:
                    known = self.known_fingerprints(tenant_id, chunk[0].bank_account_id,
                                                    [line.fingerprint for line in chunk])
                    chunk = [line for line in chunk if line.fingerprint not in known]
                    continue
                stored += chunk
                break
        return stored

    def get_line(self, tenant_id: str, line_id: str) -> BankTransaction:
        key = keys.line(tenant_id, line_id) if is_id(line_id, "btx") else None
        return _line(get_item(DocRecord, key, NotFoundError(f"No bank transaction {line_id}.")))

    def save_line(self, tenant_id: str, line: BankTransaction, expected_version: int,
                  uow: UnitOfWork | None = None, on_fail: Callable[[], None] = _lost) -> None:
        """Write a changed line (status, match) if nobody changed it since `expected_version` was read."""
        mine = UnitOfWork() if uow is None else uow
        mine.put(_line_record(tenant_id, line), condition=DocRecord.version == expected_version, on_fail=on_fail)
        if uow is None:
            mine.commit()

    def count_unmatched(self, tenant_id: str, account_id: str, through: str) -> int:
        """The account's unmatched lines dated up to `through` (GSI1, the account's sort-key prefix)."""
        index = keys.line_status_index(tenant_id, "unmatched", account_id, "")
        count = 0
        for record in DocRecord.gsi1.query(index.pk, DocRecord.gsi1sk.startswith(index.sk)):
            count += _line(record).posted_on.isoformat() <= through  # type: ignore[arg-type]
        return count

    def stage_target_claim(self, uow: UnitOfWork, tenant_id: str, target_id: str, line_id: str,
                           on_fail: Callable[[], None]) -> None:
        """The charge or bill a line settles, claimed for it: no charge or bill takes two lines."""
        uow.put(RefRecord.at(keys.target_line(tenant_id, target_id), kind="bank_transaction_target", ref_id=line_id),
                condition=RefRecord.pk.does_not_exist(), on_fail=on_fail)

    def line_of_target(self, tenant_id: str, target_id: str) -> str | None:
        key = keys.target_line(tenant_id, target_id)
        try:
            return str(RefRecord.get(key.pk, key.sk, consistent_read=True).ref_id)
        except RefRecord.DoesNotExist:
            return None

    def list_lines(self, tenant_id: str, status: str | None, account_id: str | None, limit: int,
                   cursor: str | None) -> Page[BankTransaction]:
        """Lines newest first; by status through GSI1 (and the account as its sort-key prefix)."""
        scope = f"{tenant_id}:bank-transactions:{status or '*'}:{account_id or '*'}"
        if status is None:
            only = DocRecord.bank_account_id == account_id if account_id else None
            return newest_page(DocRecord, scope, limit, cursor, _line, prefix=keys.line_prefix(tenant_id),
                               filter_condition=only)
        index = keys.line_status_index(tenant_id, status, account_id or "", "")

        def fetch(n: int, position: dict[str, Any] | None) -> builtins.list[tuple[BankTransaction, dict[str, str]]]:
            condition = DocRecord.gsi1sk.startswith(index.sk) if account_id else None
            rows = query_rows(DocRecord, index.pk, condition, n, position, by_gsi1=True, newest_first=True)
            return [(_line(r), pos) for r, pos in rows]

        return paginate(scope, limit, cursor, fetch)

    # Bank rules
    def add_rule(self, tenant_id: str, rule: BankRule) -> None:
        DocRecord.at(keys.rule(tenant_id, rule.id), kind="bank_rule", doc=rule.model_dump(mode="json")).save(
            condition=DocRecord.pk.does_not_exist())

    def rules(self, tenant_id: str) -> builtins.list[BankRule]:
        """Every rule of the tenant, oldest first (the order they are tried in)."""
        prefix = keys.rule_prefix(tenant_id)
        return [BankRule.model_validate(r.doc) for r in DocRecord.query(prefix.pk, DocRecord.sk.startswith(prefix.sk))]

    def delete_rule(self, tenant_id: str, rule_id: str) -> BankRule:
        key = keys.rule(tenant_id, rule_id) if is_id(rule_id, "rul") else None
        record = get_item(DocRecord, key, NotFoundError(f"No bank rule {rule_id}."))
        record.delete()
        return BankRule.model_validate(record.doc)

    # Statements
    def save_statement(self, tenant_id: str, statement: Statement, event: Event) -> None:
        uow = UnitOfWork()
        uow.put(DocRecord.at(keys.statement(tenant_id, statement.id), kind="bank_statement",
                             doc=statement.model_dump(mode="json")), condition=DocRecord.pk.does_not_exist())
        stage_event(uow, event)
        uow.commit()

    def get_statement(self, tenant_id: str, statement_id: str) -> Statement:
        key = keys.statement(tenant_id, statement_id) if is_id(statement_id, "stm") else None
        return Statement.model_validate(
            get_item(DocRecord, key, NotFoundError(f"No bank statement {statement_id}.")).doc)

    def list_statements(self, tenant_id: str, limit: int, cursor: str | None) -> Page[Statement]:
        return newest_page(DocRecord, f"{tenant_id}:bank-statements", limit, cursor,
                           lambda r: Statement.model_validate(r.doc), prefix=keys.statement_prefix(tenant_id))

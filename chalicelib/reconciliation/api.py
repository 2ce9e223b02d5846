"""HTTP routes of reconciliation: statements imported, the bank accounts they show, their lines, and a
person's match or ignore of a line."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.platform.http import Api, Call, Result
from chalicelib.platform.pagination import ListQuery, page_body
from chalicelib.platform.text import PRINTABLE
from chalicelib.reconciliation import service
from chalicelib.reconciliation.model import BankAccount, BankTransaction, Statement
from chalicelib.reconciliation.service import ReconciliationDeps

api: Api[ReconciliationDeps] = Api(__name__, tag="Bank statements and reconciliation")

_ID = r"^[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}$"
_CODE = r"^[1-9](\.\d{1,3}){0,5}$"
# What banks' files arrive as (the format itself is read from the content).
STATEMENT_TYPES = ("application/x-ofx", "text/plain", "application/octet-stream", "application/xml", "text/xml")


class BalanceCheck(BaseModel):
    ledger_account: str | None = Field(description="The bank account's account in the ledger (under 1.1.1).")
    statement_balance_cents: int
    ledger_balance_cents: int
    difference_cents: int
    unmatched_lines: int = Field(description="Lines of the account up to that day still waiting for a person.")
    balanced: bool


class StatementResponse(BaseModel):
    id: str
    format: Literal["ofx", "cnab240"]
    bank_account_id: str
    transactions: int = Field(description="Lines stored by this import.")
    duplicates: int = Field(description="Lines already known (by account, FITID and content): stored before.")
    matched: int = Field(description="Stored lines matched to a charge on import.")
    unmatched: int = Field(description="Stored lines waiting for a person (or a bank rule).")
    lines: int = Field(description="Money-moving lines the file holds (transactions + duplicates).")
    skipped: int = Field(description="CNAB records that move no money (entries confirmed, write-offs).")
    period_start: str | None
    period_end: str | None
    balance_cents: int | None = Field(description="The closing balance the file states (OFX LEDGERBAL).")
    balance_on: str | None
    credits_cents: int
    debits_cents: int
    repairs: list[str] = Field(description="What the repair layer changed to read the file (charset, amounts, …).")
    categorized: int = Field(default=0, description="Stored lines a bank rule booked to a ledger account.")
    created_at: str
    balance_check: BalanceCheck | None = Field(default=None, description=(
        "GET of one statement: the statement's closing balance against the books' bank account on that day "
        "(OFX with a balance only)."))


class StatementListResponse(BaseModel):
    data: list[StatementResponse]
    next_cursor: str | None


class BankAccountResponse(BaseModel):
    id: str
    bank_code: str
    agency: str
    account: str
    balance_cents: int | None = Field(description="The newest statement's closing balance.")
    balance_at: str | None = Field(description="The day of that balance.")
    created_at: str


class BankAccountListResponse(BaseModel):
    data: list[BankAccountResponse]
    next_cursor: str | None


class MatchResponse(BaseModel):
    charge_id: str | None = None
    payable_id: str | None = None
    ledger_account: str | None = None
    how: str | None = Field(default=None, description="reference, amount_date, manual or rule.")


class TransactionResponse(BaseModel):
    id: str
    bank_account_id: str
    statement_id: str
    posted_on: str
    amount_cents: int = Field(description="Signed: credits positive, debits negative.")
    description: str
    fitid: str | None
    kind: str
    our_number: str | None = None
    fee_cents: int = 0
    fine_interest_cents: int = 0
    status: Literal["unmatched", "matched", "ignored"]
    match: MatchResponse | None
    ignored_reason: str | None = None
    created_at: str
    updated_at: str


class TransactionListResponse(BaseModel):
    data: list[TransactionResponse]
    next_cursor: str | None


class TransactionsQuery(ListQuery):
    model_config = ConfigDict(extra="forbid")

    status: Literal["matched", "unmatched", "ignored"] | None = None
    bank_account_id: str | None = Field(default=None, pattern=_ID)


class MatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    charge_id: str | None = Field(default=None, pattern=_ID)
    payable_id: str | None = Field(default=None, pattern=_ID)

    @model_validator(mode="after")
    def _one_target(self) -> MatchRequest:
        if (self.charge_id is None) == (self.payable_id is None):
            raise ValueError("give exactly one of charge_id or payable_id")
        return self


class CategorizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ledger_account: str = Field(pattern=_CODE, description="An analytic account of the chart (4.3.01 Tarifas…).")


class RuleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description_contains: str = Field(min_length=2, max_length=100, pattern=PRINTABLE, description=(
        "Text the line's description holds (case and accents aside)."))
    direction: Literal["credit", "debit"]
    ledger_account: str = Field(pattern=_CODE)


class RuleResponse(BaseModel):
    id: str
    description_contains: str
    direction: Literal["credit", "debit"]
    ledger_account: str
    created_at: str


class RuleListResponse(BaseModel):
    data: list[RuleResponse]


class IgnoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, min_length=1, max_length=200, pattern=PRINTABLE,
                               description="Why it needs no match (kept on the line).")


def _statement(statement: Statement) -> dict[str, Any]:
    return statement.model_dump(mode="json")


def _account(account: BankAccount) -> dict[str, Any]:
    return account.model_dump(mode="json", exclude={"ledger_account"})


def _line(line: BankTransaction) -> dict[str, Any]:
    return line.model_dump(mode="json", exclude={"fingerprint", "version", "reference"})


@api.route_spec("/v1/bank-statements", "POST", scope="reconciliation:write", response=StatementResponse,
                status=201, request_content_type="application/x-ofx", extra_statuses=(413, 415),
                also_accepts=STATEMENT_TYPES)
def import_statement(call: Call[ReconciliationDeps]) -> Result:
    """Import a bank statement
    The bank's file as the body: OFX 1.x (SGML) or 2.x (XML) as `application/x-ofx`, or a CNAB 240
    retorno de cobrança as `text/plain` (the format is read from the content). What Brazilian banks really
    send is repaired first (no CHARSET, 1252 declared over UTF-8, decimal commas, balances in centavos,
    "Saldo" rows with no FITID, instants without an offset) and the answer lists the repairs. The bank
    account is created on first sight; a line is stored once (account + FITID + content hash), so the same
    file again stores nothing and counts every line as a duplicate. New credits are matched to charges: a
    Pix txid or the boleto's nosso número first, then the amount within 10 days of the due date when
    exactly one open charge fits; a match settles the charge like a payment notice (never twice), through
    the reconciliation queue within seconds. What is left is tried against the bank rules."""
    return Result(_statement(service.import_statement(call.tenant_id, call.raw_body, call.deps)), status=201)


@api.route_spec("/v1/bank-statements", scope="reconciliation:read", query=ListQuery,
                response=StatementListResponse)
def list_statements(call: Call[ReconciliationDeps]) -> Result:
    """List imported statements
    Newest first."""
    q: ListQuery = call.query
    return Result(page_body(call.deps.repo.list_statements(call.tenant_id, q.limit, q.cursor), _statement))


@api.route_spec("/v1/bank-statements/{statement_id}", scope="reconciliation:read", response=StatementResponse,
                extra_statuses=(404,))
def get_statement(call: Call[ReconciliationDeps], statement_id: str) -> Result:
    """Get an imported statement, with its balance check
    `balance_check` compares the statement's closing balance with the books' bank account on its day:
    `balanced` once every line up to then is matched or categorized (and the ledger consumer booked them)."""
    statement = call.deps.repo.get_statement(call.tenant_id, statement_id)
    return Result({**_statement(statement), "balance_check": service.balance_check(call.tenant_id, statement,
                                                                                  call.deps)})


@api.route_spec("/v1/bank-accounts", scope="reconciliation:read", query=ListQuery,
                response=BankAccountListResponse)
def list_accounts(call: Call[ReconciliationDeps]) -> Result:
    """List bank accounts
    The accounts seen in statements (created on first sight), with the newest statement's balance."""
    q: ListQuery = call.query
    return Result(page_body(call.deps.repo.list_accounts(call.tenant_id, q.limit, q.cursor), _account))


@api.route_spec("/v1/bank-transactions", scope="reconciliation:read", query=TransactionsQuery,
                response=TransactionListResponse)
def list_transactions(call: Call[ReconciliationDeps]) -> Result:
    """List statement lines
    Newest first, optionally one `status` (`unmatched` is the to-do list) and one `bank_account_id`."""
    q: TransactionsQuery = call.query
    page = call.deps.repo.list_lines(call.tenant_id, q.status, q.bank_account_id, q.limit, q.cursor)
    return Result(page_body(page, _line))


@api.route_spec("/v1/bank-transactions/{transaction_id}", scope="reconciliation:read",
                response=TransactionResponse, extra_statuses=(404,))
def get_transaction(call: Call[ReconciliationDeps], transaction_id: str) -> Result:
    """Get a statement line"""
    return Result(_line(call.deps.repo.get_line(call.tenant_id, transaction_id)))


@api.route_spec("/v1/bank-transactions/{transaction_id}/match", "POST", scope="reconciliation:write",
                request=MatchRequest, response=TransactionResponse, extra_statuses=(404, 409))
def match_transaction(call: Call[ReconciliationDeps], transaction_id: str) -> Result:
    """Match a line to a charge
    `{charge_id}`: the line settles the charge through the same path as a payment notice (a charge paid
    by a notice of the same amount is confirmed, not paid twice). A line that is not `unmatched`, or a
    charge that has its line already, is 409 `invalid_state`."""
    body: MatchRequest = call.body
    line = service.match_line(call.tenant_id, transaction_id, body.charge_id, body.payable_id, call.deps)
    return Result(_line(line))


@api.route_spec("/v1/bank-transactions/{transaction_id}/ignore", "POST", scope="reconciliation:write",
                request=IgnoreRequest, response=TransactionResponse, extra_statuses=(404, 409))
def ignore_transaction(call: Call[ReconciliationDeps], transaction_id: str) -> Result:
    """Ignore a line
    It leaves the to-do list (an internal transfer, a line booked elsewhere). Only an `unmatched` line."""
    body: IgnoreRequest = call.body
    return Result(_line(service.ignore_line(call.tenant_id, transaction_id, body.reason, call.deps)))


@api.route_spec("/v1/bank-transactions/{transaction_id}/categorize", "POST", scope="reconciliation:write",
                request=CategorizeRequest, response=TransactionResponse, extra_statuses=(404, 409))
def categorize_transaction(call: Call[ReconciliationDeps], transaction_id: str) -> Result:
    """Book a line to a ledger account
    A fee, a transfer, rent, a tax: the line becomes `matched` with `match.ledger_account`, and the ledger
    books it against the statement's bank account. 400 naming `ledger_account` when it is no analytic
    account of the chart; 409 when the line is not `unmatched`."""
    body: CategorizeRequest = call.body
    return Result(_line(service.categorize_line(call.tenant_id, transaction_id, body.ledger_account, call.deps)))


@api.route_spec("/v1/bank-rules", scope="reconciliation:read", response=RuleListResponse)
def list_rules(call: Call[ReconciliationDeps]) -> Result:
    """List bank rules
    In the order they are tried (oldest first); the first that fits a line categorizes it."""
    return Result({"data": [r.model_dump(mode="json") for r in call.deps.repo.rules(call.tenant_id)]})


@api.route_spec("/v1/bank-rules", "POST", scope="reconciliation:write", request=RuleRequest, response=RuleResponse,
                status=201)
def add_rule(call: Call[ReconciliationDeps]) -> Result:
    """Add a bank rule
    Lines imported from now on that go `direction` and whose description holds `description_contains` are
    booked to `ledger_account` (bank fees, rent, taxes). 400 naming `ledger_account` when it is no
    analytic account."""
    body: RuleRequest = call.body
    rule = service.add_rule(call.tenant_id, body.description_contains, body.direction, body.ledger_account,
                            call.deps)
    return Result(rule.model_dump(mode="json"), status=201)


@api.route_spec("/v1/bank-rules/{rule_id}", "DELETE", scope="reconciliation:write", response=RuleResponse,
                extra_statuses=(404,))
def delete_rule(call: Call[ReconciliationDeps], rule_id: str) -> Result:
    """Delete a bank rule
    Answers the rule as it was. Lines it categorized stay as they are."""
    return Result(call.deps.repo.delete_rule(call.tenant_id, rule_id).model_dump(mode="json"))

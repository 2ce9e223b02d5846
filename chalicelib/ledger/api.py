"""HTTP routes of the ledger: the chart of accounts, the journal, manual entries, the trial balance and
the accountant's export."""

from __future__ import annotations

from datetime import date as Date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.ledger import service
from chalicelib.ledger.model import Account, Entry
from chalicelib.ledger.service import LedgerDeps
from chalicelib.platform.clock import business_date
from chalicelib.platform.http import Api, Call, Result
from chalicelib.platform.pagination import ListQuery, page_body
from chalicelib.platform.text import PRINTABLE

api: Api[LedgerDeps] = Api(__name__, tag="Ledger")

_CODE = r"^[1-9](\.\d{1,3}){0,5}$"
AccountType = Literal["asset", "liability", "equity", "revenue", "expense"]


class AccountResponse(BaseModel):
    code: str
    name: str
    type: AccountType
    parent: str | None
    group: bool = Field(description="A group (synthetic) account sums its children and takes no postings.")
    system: bool = Field(description="Part of the default chart (true) or added by the tenant.")


class AccountListResponse(BaseModel):
    data: list[AccountResponse]


class NewAccountRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=_CODE, description="The parent's code and one more level, like 4.2.10.")
    name: str = Field(min_length=1, max_length=120, pattern=PRINTABLE)
    parent: str = Field(pattern=_CODE, description="A group account of the chart.")
    type: AccountType | None = Field(default=None, description="The parent's type (the default).")
    group: bool = Field(default=False, description="True for a group that will hold accounts of its own.")


class LineModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: str = Field(pattern=_CODE)
    debit_cents: int = Field(default=0, ge=0, le=10**13)
    credit_cents: int = Field(default=0, ge=0, le=10**13)


class SourceModel(BaseModel):
    event_id: str | None = Field(description="The event that posted it; null for a manual entry.")
    type: str = Field(description="The event type (`invoice.authorized`, `charge.paid`, …) or `manual`.")
    document_id: str | None = Field(default=None, description="The invoice, order or charge it books.")


class EntryResponse(BaseModel):
    id: str
    date: str
    memo: str
    source: SourceModel
    lines: list[LineModel]
    reverses: str | None = Field(default=None, description="The entry this one reverses (a cancellation).")
    created_at: str


class EntryListResponse(BaseModel):
    data: list[EntryResponse]
    next_cursor: str | None


class NewEntryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: Date = Field(description="YYYY-MM-DD, today or before.")
    memo: str = Field(min_length=1, max_length=300, pattern=PRINTABLE)
    lines: list[LineModel] = Field(min_length=2, max_length=40, description=(
        "Each line a debit or a credit (exactly one above zero) to an analytic account; debits equal credits."))


class EntriesQuery(ListQuery):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: Date | None = Field(default=None, alias="from", description="First day (default: 30 days ago).")
    to: Date | None = Field(default=None, description="Last day (default: today).")
    account: str | None = Field(default=None, pattern=_CODE, description="Only entries with a line on it.")


class TrialBalanceQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: Date | None = Field(default=None, description="The last day counted (default: today).")


class TrialBalanceRow(BaseModel):
    code: str
    name: str
    type: AccountType
    debit_cents: int
    credit_cents: int
    balance_cents: int = Field(description="In the account's normal direction: debits − credits for assets "
                                           "and expenses, credits − debits for the others.")


class Totals(BaseModel):
    debit_cents: int
    credit_cents: int


class TrialBalanceResponse(BaseModel):
    as_of: str
    accounts: list[TrialBalanceRow]
    totals: Totals


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: Date = Field(alias="from")
    to: Date
    format: Literal["csv"] = "csv"


def _account(account: Account) -> dict[str, Any]:
    return account.model_dump(mode="json")


def _entry(entry: Entry) -> dict[str, Any]:
    return entry.model_dump(mode="json")


def _today(call: Call[LedgerDeps]) -> Date:
    return business_date(call.deps.clock.now())


@api.route_spec("/v1/ledger/accounts", scope="ledger:read", response=AccountListResponse)
def list_accounts(call: Call[LedgerDeps]) -> Result:
    """List the chart of accounts
    A Brazilian SMB chart from the start (1 Ativo, 2 Passivo e PL, 3 Receitas, 4 Custos e despesas) and
    the tenant's own accounts, in code order. Postings go to analytic accounts (`group: false`)."""
    return Result({"data": [_account(a) for a in service.chart(call.tenant_id, call.deps).values()]})


@api.route_spec("/v1/ledger/accounts", "POST", scope="ledger:write", request=NewAccountRequest,
                response=AccountResponse, status=201, extra_statuses=(409,))
def add_account(call: Call[LedgerDeps]) -> Result:
    """Add an account under a group
    400 naming `parent` (unknown, or analytic), `code` (not one level under the parent) or `type` (not
    the parent's); 409 when the code exists."""
    body: NewAccountRequest = call.body
    account = service.add_account(call.tenant_id, body.code, body.name, body.parent, body.type, body.group,
                                  call.deps)
    return Result(_account(account), status=201)


@api.route_spec("/v1/ledger/entries", scope="ledger:read", query=EntriesQuery, response=EntryListResponse)
def list_entries(call: Call[LedgerDeps]) -> Result:
    """List the journal
    Entries dated `from`..`to` (default the last 30 days), in date order, optionally only those with a
    line on `account`. Each names its source: the event that posted it, or `manual`."""
    q: EntriesQuery = call.query
    last = q.to or _today(call)
    first = q.from_ or Date.fromordinal(last.toordinal() - 30)
    service.check_range(first, last)
    page = call.deps.repo.list_entries(call.tenant_id, first.isoformat(), last.isoformat(), q.account, q.limit,
                                       q.cursor)
    return Result(page_body(page, _entry))


@api.route_spec("/v1/ledger/entries", "POST", scope="ledger:write", request=NewEntryRequest,
                response=EntryResponse, status=201)
def post_entry(call: Call[LedgerDeps]) -> Result:
    """Post a manual entry
    Debits must equal credits (400 naming `lines`); each account analytic and in the chart (400 naming
    `lines.N.account`); dated today or before."""
    body: NewEntryRequest = call.body
    entry = service.manual_entry(call.tenant_id, body.date, body.memo,
                                 [line.model_dump() for line in body.lines], call.deps)
    return Result(_entry(entry), status=201)


@api.route_spec("/v1/ledger/entries/{entry_id}", scope="ledger:read", response=EntryResponse,
                extra_statuses=(404,))
def get_entry(call: Call[LedgerDeps], entry_id: str) -> Result:
    """Get a ledger entry"""
    return Result(_entry(call.deps.repo.get_entry(call.tenant_id, entry_id)))


@api.route_spec("/v1/ledger/trial-balance", scope="ledger:read", query=TrialBalanceQuery,
                response=TrialBalanceResponse)
def trial_balance(call: Call[LedgerDeps]) -> Result:
    """Get the trial balance
    Every analytic account with movement up to `as_of` (default today): debits, credits and balance.
    Total debits equal total credits, always."""
    q: TrialBalanceQuery = call.query
    return Result(service.trial_balance(call.tenant_id, q.as_of or _today(call), call.deps))


@api.route_spec("/v1/ledger/export", scope="ledger:read", query=ExportQuery, content_type="text/csv")
def export_journal(call: Call[LedgerDeps]) -> Result:
    """Export the journal as CSV
    One row per entry line from `from` to `to` (at most 366 days): `;`-separated, dates dd/mm/yyyy, amounts
    in reais with a decimal comma, UTF-8 with a BOM, so a pt-BR spreadsheet opens it as numbers."""
    q: ExportQuery = call.query
    body = service.export_csv(call.tenant_id, q.from_, q.to, call.deps)
    name = f"diario-{q.from_.isoformat()}-{q.to.isoformat()}.csv"
    return Result(body, content_type="text/csv; charset=utf-8",
                  headers={"Content-Disposition": f'attachment; filename="{name}"'})

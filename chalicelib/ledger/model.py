"""The ledger's pure rules: the chart of accounts, an entry that balances by construction, and what
each event posts.

An `Entry` cannot be built unbalanced: its validator refuses lines whose debits and credits differ, a
line with both sides or neither, and fewer than two lines. The posting functions map an event's data
to lines; they never touch storage."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

AccountType = Literal["asset", "liability", "equity", "revenue", "expense"]
DEBIT_NORMAL: frozenset[str] = frozenset({"asset", "expense"})
CODE_RE = re.compile(r"^[1-9](\.\d{1,3}){0,5}$")
MAX_LINES = 40  # with one item per account touched, an entry stays inside one DynamoDB transaction


class Account(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    name: str
    type: AccountType
    parent: str | None
    group: bool = False  # a synthetic (grouping) account: it sums its children and takes no postings
    system: bool = True  # in the default chart (custom accounts are added under a group)


def _chart(rows: Iterable[tuple[str, str, str | None]]) -> dict[str, Account]:
    """Accounts from (code, name, type or None for the parent's); an account with children is a group."""
    accounts: dict[str, Account] = {}
    rows = list(rows)
    codes = [code for code, _, _ in rows]
    for code, name, kind in rows:
        parent = code.rsplit(".", 1)[0] if "." in code else None
        resolved = kind or (accounts[parent].type if parent else None)
        assert resolved is not None, code
        has_children = any(other.startswith(code + ".") for other in codes)
        accounts[code] = Account(code=code, name=name, type=resolved, parent=parent,  # type: ignore[arg-type]
                                 group=has_children)
    return accounts


# A Brazilian SMB chart in the shape accountants use (ativo, passivo e PL, receitas, custos e despesas),
# narrow enough to read at a glance; a tenant adds accounts under any group.
DEFAULT_CHART: dict[str, Account] = _chart([
    ("1", "Ativo", "asset"),
    ("1.1", "Ativo circulante", None),
    ("1.1.1", "Disponível", None),
    ("1.1.1.01", "Caixa", None),
    ("1.1.1.02", "Bancos conta movimento", None),
    ("1.1.2", "Clientes", None),
    ("1.1.2.01", "Clientes a receber", None),
    ("1.1.3", "Estoques", None),
    ("1.1.3.01", "Mercadorias para revenda", None),
    ("1.1.4", "Tributos a recuperar", None),
    ("1.1.4.01", "ICMS a recuperar", None),
    ("1.1.4.02", "PIS a recuperar", None),
    ("1.1.4.03", "COFINS a recuperar", None),
    ("1.1.4.04", "IPI a recuperar", None),
    ("2", "Passivo", "liability"),
    ("2.1", "Passivo circulante", None),
    ("2.1.1", "Fornecedores", None),
    ("2.1.1.01", "Fornecedores a pagar", None),
    ("2.1.2", "Obrigações tributárias", None),
    ("2.1.2.01", "ICMS a recolher", None),
    ("2.1.2.02", "PIS a recolher", None),
    ("2.1.2.03", "COFINS a recolher", None),
    ("2.1.2.04", "ICMS DIFAL a recolher", None),
    ("2.1.3", "Outras obrigações", None),
    ("2.1.3.01", "Valores a devolver a clientes", None),
    ("2.3", "Patrimônio líquido", "equity"),
    ("2.3.1", "Capital social", None),
    ("2.3.1.01", "Capital social integralizado", None),
    ("2.3.2", "Lucros ou prejuízos acumulados", None),
    ("2.3.2.01", "Lucros ou prejuízos acumulados", None),
    ("3", "Receitas", "revenue"),
    ("3.1", "Receita bruta", None),
    ("3.1.01", "Venda de mercadorias", None),
    ("3.1.02", "Receita de fretes", None),
    ("3.1.03", "Outras receitas operacionais", None),
    ("3.2", "Deduções da receita", None),
    ("3.2.01", "Cancelamentos e devoluções", None),
    ("3.2.02", "ICMS sobre vendas", None),
    ("3.2.03", "PIS sobre vendas", None),
    ("3.2.04", "COFINS sobre vendas", None),
    ("3.2.05", "ICMS DIFAL sobre vendas", None),
    ("3.3", "Receitas financeiras", None),
    ("3.3.01", "Juros e multas recebidos", None),
    ("4", "Custos e despesas", "expense"),
    ("4.1", "Custos", None),
    ("4.1.01", "Custo das mercadorias vendidas", None),
    ("4.2", "Despesas operacionais", None),
    ("4.2.01", "Despesas administrativas", None),
    ("4.2.02", "Despesas com vendas", None),
    ("4.3", "Despesas financeiras", None),
    ("4.3.01", "Tarifas bancárias", None),
    ("4.3.02", "Juros e multas pagos", None),
    ("4.3.03", "Descontos concedidos", None),
])

# The accounts the postings use, by role.
CASH = "1.1.1.01"
BANK = "1.1.1.02"  # where payment paths (notices, manual, CNAB retornos) book money in; statements move it on
AVAILABLE = "1.1.1"  # each statement's bank account gets an analytic account of its own under it
OPENING_BALANCES = "2.3.2.01"
RECEIVABLES = "1.1.2.01"
INVENTORY = "1.1.3.01"
RECOVERABLE = {"icms": "1.1.4.01", "pis": "1.1.4.02", "cofins": "1.1.4.03", "ipi": "1.1.4.04"}  # tributos a recuperar
PAYABLES = "2.1.1.01"
ICMS_PAYABLE, PIS_PAYABLE, COFINS_PAYABLE, DIFAL_PAYABLE = "2.1.2.01", "2.1.2.02", "2.1.2.03", "2.1.2.04"
CUSTOMER_REFUNDS = "2.1.3.01"
SALES, FREIGHT_REVENUE, OTHER_REVENUE = "3.1.01", "3.1.02", "3.1.03"
ICMS_ON_SALES, PIS_ON_SALES, COFINS_ON_SALES, DIFAL_ON_SALES = "3.2.02", "3.2.03", "3.2.04", "3.2.05"
FINANCIAL_INCOME = "3.3.01"
COGS = "4.1.01"
LATE_FEES_PAID = "4.3.02"
DISCOUNTS_GIVEN = "4.3.03"


class UnbalancedEntryError(ValueError):
    """Lines whose debits and credits differ (or a line that is not one-sided)."""


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    account: str
    debit_cents: int = Field(default=0, ge=0)
    credit_cents: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _one_side(self) -> Line:
        if (self.debit_cents > 0) == (self.credit_cents > 0):
            raise UnbalancedEntryError("a line is a debit or a credit: exactly one of them above zero")
        return self


def debit(account: str, cents: int) -> Line:
    return Line(account=account, debit_cents=cents)


def credit(account: str, cents: int) -> Line:
    return Line(account=account, credit_cents=cents)


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str | None
    type: str  # the event type, or "manual"
    document_id: str | None = None  # the invoice, charge or order it books


class Entry(BaseModel):
    """A journal entry: balanced, or it is not built."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    date: str  # YYYY-MM-DD, São Paulo
    memo: str
    source: Source
    lines: tuple[Line, ...]
    reverses: str | None = None  # the entry this one reverses
    created_at: str

    @model_validator(mode="after")
    def _balanced(self) -> Entry:
        if len(self.lines) < 2:
            raise UnbalancedEntryError("an entry has at least two lines")
        if len(self.lines) > MAX_LINES:
            raise UnbalancedEntryError(f"an entry has at most {MAX_LINES} lines")
        debits = sum(line.debit_cents for line in self.lines)
        credits = sum(line.credit_cents for line in self.lines)
        if debits != credits:
            raise UnbalancedEntryError(f"debits ({debits}) and credits ({credits}) differ")
        return self

    @property
    def accounts(self) -> list[str]:
        return sorted({line.account for line in self.lines})


def add_totals(lines: Iterable[Line], into: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """Add each line to its account's (debits, credits) in `into`, and return it."""
    for line in lines:
        debits, credits = into.get(line.account, (0, 0))
        into[line.account] = (debits + line.debit_cents, credits + line.credit_cents)
    return into


def net_lines(lines: Iterable[Line]) -> tuple[Line, ...]:
    """Drop empty amounts and merge lines of one account and side (postings build lines from optional
    figures: a zero tax is no line)."""
    merged: dict[tuple[str, str], int] = {}
    for line in lines:
        for side, cents in (("debit", line.debit_cents), ("credit", line.credit_cents)):
            if cents:
                merged[(line.account, side)] = merged.get((line.account, side), 0) + cents
    return tuple(Line(account=account, **{f"{side}_cents": cents}) for (account, side), cents in merged.items())


def reversed_lines(lines: Iterable[Line]) -> tuple[Line, ...]:
    """The same lines with their sides swapped: what a cancellation posts."""
    return tuple(Line(account=line.account, debit_cents=line.credit_cents, credit_cents=line.debit_cents)
                 for line in lines)


@dataclass(frozen=True)
class Posting:
    """What an event books: its date, memo, lines and the document it is about."""

    date: str
    memo: str
    lines: tuple[Line, ...]
    document_id: str | None = None


def _lines(*candidates: Line | None) -> tuple[Line, ...]:
    return net_lines(line for line in candidates if line is not None)


def _nonzero(make: Any, account: str, cents: int) -> Line | None:
    return make(account, cents) if cents > 0 else None


def invoice_authorized(invoice: Mapping[str, Any], day: str) -> Posting | None:
    """An NF-e authorized: receivables against sales (and freight) revenue; the taxes on the sale (ICMS,
    PIS, COFINS and the DIFAL, which are inside the price) as deductions against taxes payable."""
    totals = invoice.get("totals") or {}
    total, shipping = int(totals.get("total_cents") or 0), int(totals.get("shipping_cents") or 0)
    if total <= 0:
        return None
    taxes = [(ICMS_ON_SALES, ICMS_PAYABLE, int(totals.get("icms_cents") or 0)),
             (PIS_ON_SALES, PIS_PAYABLE, int(totals.get("pis_cents") or 0)),
             (COFINS_ON_SALES, COFINS_PAYABLE, int(totals.get("cofins_cents") or 0)),
             (DIFAL_ON_SALES, DIFAL_PAYABLE, int(totals.get("icms_uf_dest_cents") or 0))]
    freight = min(shipping, total)
    lines = _lines(debit(RECEIVABLES, total), _nonzero(credit, SALES, total - freight),
                   _nonzero(credit, FREIGHT_REVENUE, freight),
                   *[_nonzero(debit, deduction, cents) for deduction, _, cents in taxes],
                   *[_nonzero(credit, payable, cents) for _, payable, cents in taxes])
    return Posting(day, f"NF-e {invoice.get('number')} série {invoice.get('series')} autorizada", lines,
                   str(invoice["id"]))


def order_shipped(order: Mapping[str, Any], costs: Mapping[str, int], day: str) -> Posting | None:
    """An order shipped: the cost of the goods that left (catalog cost × quantity) from inventory to COGS."""
    cost = sum(int(costs.get(line["sku"], 0)) * int(line["quantity"]) for line in order.get("lines", []))
    if cost <= 0:
        return None
    return Posting(day, f"Baixa de estoque do pedido {order['id']} (CMV)",
                   _lines(debit(COGS, cost), credit(INVENTORY, cost)), str(order["id"]))


def charge_paid(charge: Mapping[str, Any], day: str) -> Posting | None:
    """A charge paid: what came in to the bank against the receivable; above the principal, the fine and
    interest go to financial income and an overpayment is owed back to the customer; below it (a discount
    the payer took), the difference is an expense."""
    paid = int(charge.get("paid_amount_cents") or 0)
    if paid <= 0:
        return None
    principal = int(charge["amount_cents"])
    overpaid = min(int(charge.get("overpaid_cents") or 0), paid)
    applied = paid - overpaid
    extra = applied - principal
    lines = _lines(debit(BANK, paid), credit(RECEIVABLES, principal), _nonzero(credit, FINANCIAL_INCOME, extra),
                   _nonzero(debit, DISCOUNTS_GIVEN, -extra), _nonzero(credit, CUSTOMER_REFUNDS, overpaid))
    return Posting(day, f"Recebimento da cobrança {charge['id']}", lines, str(charge["id"]))


def charge_unapplied(charge: Mapping[str, Any], new_cents: int, day: str) -> Posting | None:
    """Money that arrived on a cancelled or already paid charge: in the bank, owed back to the customer."""
    if new_cents <= 0:
        return None
    return Posting(day, f"Valor recebido na cobrança {charge['id']} a devolver",
                   _lines(debit(BANK, new_cents), credit(CUSTOMER_REFUNDS, new_cents)), str(charge["id"]))


def standalone_charge(charge: Mapping[str, Any], day: str) -> Posting | None:
    """A charge of no order (no NF-e books its sale): the receivable against other operating revenue."""
    if charge.get("order_id") or int(charge.get("amount_cents") or 0) <= 0:
        return None
    amount = int(charge["amount_cents"])
    return Posting(day, f"Cobrança avulsa {charge['id']}", _lines(debit(RECEIVABLES, amount),
                                                                  credit(OTHER_REVENUE, amount)), str(charge["id"]))


def purchase_accepted(invoice: Mapping[str, Any], day: str) -> Posting | None:
    """A supplier's NF-e accepted: the goods (at what they cost, less the taxes the tenant recovers) and the
    recoverable taxes against suppliers payable for the NF-e's total."""
    books = invoice.get("books") or {}
    total = int(books.get("payable_cents") or 0)
    if total <= 0:
        return None
    recoverable = {tax: int(cents) for tax, cents in (books.get("recoverable") or {}).items() if int(cents) > 0}
    inventory = total - sum(recoverable.values())
    lines = _lines(_nonzero(debit, INVENTORY, inventory),
                   *[debit(RECOVERABLE[tax], cents) for tax, cents in sorted(recoverable.items())],
                   credit(PAYABLES, total))
    return Posting(day, f"Compra NF-e {invoice.get('number')} ({invoice['id']}) de {invoice.get('supplier_id')}",
                   lines, str(invoice["id"]))


def payable_created(payable: Mapping[str, Any], day: str) -> Posting | None:
    """A bill registered by hand: its expense account against suppliers payable (a supplier invoice's
    payables are booked by its acceptance, with the stock and the recoverable taxes)."""
    amount = int(payable.get("amount_cents") or 0)
    if payable.get("origin", "manual") != "manual" or amount <= 0 or not payable.get("ledger_account"):
        return None
    return Posting(day, f"Conta a pagar {payable['id']}: {str(payable.get('description') or '')[:150]}",
                   _lines(debit(str(payable["ledger_account"]), amount), credit(PAYABLES, amount)), str(payable["id"]))


def payable_paid(payable: Mapping[str, Any], day: str) -> Posting | None:
    """A bill paid: suppliers payable against the bank; above its amount, late fees paid (expense); below
    it, a discount obtained (financial income)."""
    amount = int(payable.get("amount_cents") or 0)
    paid = int(payable.get("paid_amount_cents") or 0)
    if paid <= 0 or amount <= 0:
        return None
    lines = _lines(debit(PAYABLES, amount), credit(BANK, paid), _nonzero(debit, LATE_FEES_PAID, paid - amount),
                   _nonzero(credit, FINANCIAL_INCOME, amount - paid))
    return Posting(day, f"Pagamento da conta {payable['id']}", lines, str(payable["id"]))


def bank_line(line: Mapping[str, Any], bank_account: str | None, day: str) -> Posting | None:
    """A bank statement line resolved (OFX: the account's own movements), in the statement's account:
    a credit that paid a charge moves what the payment path booked in 1.1.1.02 into this account; a
    line categorized to an account books straight against it (a fee, a transfer, rent). CNAB retorno
    lines are the bank's report of boletos it settled, not movements of the account: they settle the
    charges (charge.paid books them) and post nothing here."""
    match = line.get("match") or {}
    amount = int(line.get("amount_cents") or 0)
    if not bank_account or line.get("source_format", "ofx") != "ofx" or amount == 0:
        return None
    if match.get("ledger_account"):
        other = str(match["ledger_account"])
    elif (match.get("charge_id") and amount > 0) or (match.get("payable_id") and amount < 0):
        other = BANK  # the payment path booked it there; the statement moves it to (or from) this account
    else:
        return None
    lines = (debit(bank_account, amount), credit(other, amount)) if amount > 0 else \
        (debit(other, -amount), credit(bank_account, -amount))
    return Posting(day, f"Extrato: {str(line.get('description') or '')[:200]}", lines, str(line["id"]))


def bank_opening(statement: Mapping[str, Any], day: str) -> Posting | None:
    """The balance an account had before the first statement we read of it (its closing balance less that
    statement's lines), against opening balances in equity, so the books start where the bank does."""
    opening = int(statement.get("opening_balance_cents") or 0)
    bank_account = statement.get("bank_ledger_account")
    if opening == 0 or not bank_account:
        return None
    lines = (debit(bank_account, opening), credit(OPENING_BALANCES, opening)) if opening > 0 else \
        (debit(OPENING_BALANCES, -opening), credit(bank_account, -opening))
    return Posting(day, f"Saldo inicial da conta {statement.get('bank_account_id')}", lines,
                   str(statement["bank_account_id"]))


def trial_balance_row(account: Account, debits: int, credits: int) -> dict[str, Any]:
    """An account's line of the trial balance: its balance in its normal direction (a debit-normal
    account's is debits − credits)."""
    balance = debits - credits if account.type in DEBIT_NORMAL else credits - debits
    return {"code": account.code, "name": account.name, "type": account.type, "debit_cents": debits,
            "credit_cents": credits, "balance_cents": balance}


def check_new_account(code: str, parent: Account | None, kind: str | None) -> list[tuple[str, str]]:
    """What is wrong with a new account (field, message); nothing when it may be added (a code already in
    the chart is a conflict, not a mistake in the request)."""
    problems: list[tuple[str, str]] = []
    if parent is None:
        problems.append(("parent", "is not an account of the chart"))
        return problems
    if not parent.group:
        problems.append(("parent", "is an analytic account that takes postings; add under a group account"))
    if not CODE_RE.match(code) or code.rsplit(".", 1)[0] != parent.code:
        problems.append(("code", f"must be the parent's code and one more level, like {parent.code}.10"))
    if kind is not None and kind != parent.type:
        problems.append(("type", f"must be the parent's type, {parent.type}"))
    return problems

"""Orders: lines, totals, the status machine and payment status. Pure rules, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from chalicelib.platform.errors import FieldError, InvalidRequestError
from chalicelib.platform.money import MAX_CHARGE_CENTS
from chalicelib.platform.states import transition

OrderStatus = Literal["confirmed", "invoiced", "shipped", "delivered", "cancelled"]
PaymentStatus = Literal["pending", "partially_paid", "paid", "overdue"]
PaymentMethod = Literal["boleto", "pix", "card_link"]
Action = Literal["invoice", "ship", "deliver", "cancel"]

# A TransactWriteItems holds at most 100 items. Shipping is the largest step: per distinct SKU
# a stock item and a movement item, plus the reservation, a `stock.moved` event, the order and
# `order.shipped` (2k + 4). Placing writes the reservation, k stock items, up to k `stock.low`
# events, the order and `order.confirmed` (2k + 3). k = 45 keeps both at most 94 items.
MAX_LINES = 45
MAX_QUANTITY = 1_000_000
# The largest total an order may have: a boleto's amount field holds 10 digits (R$ 99.999.999,99),
# and one bound for every method keeps amounts far inside JSON's safe integers (2^53).
MAX_TOTAL_CENTS = MAX_CHARGE_CENTS  # every installment must fit a boleto

# (status, action) -> new status. `ship` from `confirmed` only when invoicing is off.
TRANSITIONS: Mapping[tuple[str, str], str] = {
    ("confirmed", "invoice"): "invoiced",
    ("confirmed", "ship"): "shipped",
    ("invoiced", "ship"): "shipped",
    ("shipped", "deliver"): "delivered",
    ("confirmed", "cancel"): "cancelled",
    ("invoiced", "cancel"): "cancelled",
}
EVENT_OF_ACTION = {"invoice": "order.invoiced", "ship": "order.shipped", "deliver": "order.delivered",
                   "cancel": "order.cancelled"}


def next_status(status: str, action: str, *, invoicing_enabled: bool = True) -> str:
    """The status an action leads to, or InvalidStateError when the table does not allow it."""
    must_invoice = action == "ship" and status == "confirmed" and invoicing_enabled
    return transition(TRANSITIONS, status, action, "an order",
                      refused_because="the order must be invoiced first" if must_invoice else "")


@dataclass(frozen=True)
class LineRequest:
    sku: str
    quantity: int
    unit_price_cents: int | None


@dataclass(frozen=True)
class PricedLine:
    sku: str
    quantity: int
    unit_price_cents: int

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents


def merge_lines(lines: list[LineRequest]) -> list[LineRequest]:
    """Lines of the same SKU are merged (quantities summed) when their prices agree.

    Two lines of one SKU with different explicit prices are ambiguous: 400 naming the line.
    """
    merged: dict[str, LineRequest] = {}
    errors = []
    for index, line in enumerate(lines):
        seen = merged.get(line.sku)
        if seen is None:
            merged[line.sku] = line
        elif seen.unit_price_cents != line.unit_price_cents:
            errors.append(FieldError(f"lines.{index}.unit_price_cents",
                                     f"differs from an earlier line of SKU {line.sku}; send one line per price"))
        else:
            merged[line.sku] = LineRequest(line.sku, seen.quantity + line.quantity, line.unit_price_cents)
    if errors:
        raise InvalidRequestError("Some lines are invalid.", errors)
    too_much = [FieldError("lines", f"SKU {sku} totals {line.quantity}, above {MAX_QUANTITY}")
                for sku, line in merged.items() if line.quantity > MAX_QUANTITY]
    if too_much:
        raise InvalidRequestError("Some lines are invalid.", too_much)
    return list(merged.values())


def price_lines(lines: list[LineRequest], catalog_prices: Mapping[str, int]) -> list[PricedLine]:
    """Each line at its explicit price, or the product's current price."""
    return [PricedLine(line.sku, line.quantity,
                       line.unit_price_cents if line.unit_price_cents is not None else catalog_prices[line.sku])
            for line in lines]


class OrderAmounts(TypedDict):
    products_cents: int
    shipping_cents: int
    total_cents: int


def totals(lines: list[PricedLine], shipping_cents: int) -> OrderAmounts:
    products = sum(line.total_cents for line in lines)
    return {"products_cents": products, "shipping_cents": shipping_cents, "total_cents": products + shipping_cents}


def check_amounts(products_cents: int, shipping_cents: int, installments: int) -> None:
    """An order must be chargeable: its total fits a boleto, and every installment gets ≥ 1 centavo."""
    total = products_cents + shipping_cents
    errors = []
    if products_cents > MAX_TOTAL_CENTS:
        errors.append(FieldError("lines", f"the lines total {products_cents} centavos, above the {MAX_TOTAL_CENTS} "
                                          "an order may total"))
    elif total > MAX_TOTAL_CENTS:
        errors.append(FieldError("shipping_cents", f"takes the total to {total} centavos, above the {MAX_TOTAL_CENTS} "
                                                   "an order may total"))
    elif total < installments:
        errors.append(FieldError("payment.installments", f"{installments} installments of at least 1 centavo "
                                                         f"do not fit a total of {total} centavos"))
    if errors:
        raise InvalidRequestError("The order's amounts cannot be charged.", errors)


def payment_status(amount_cents: int, paid_cents: int, any_overdue: bool) -> str:
    """`paid` once everything is paid; `overdue` while any installment is late; else by amount."""
    if paid_cents >= amount_cents > 0:
        return "paid"
    if any_overdue:
        return "overdue"
    return "partially_paid" if paid_cents > 0 else "pending"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderLine(Strict):
    sku: str
    name: str
    quantity: int
    unit_price_cents: int
    total_cents: int


class Payment(Strict):
    method: PaymentMethod
    installments: StrictInt = Field(default=1, ge=1, le=12)
    first_due_in_days: StrictInt = Field(default=3, ge=0, le=365)


class ChargeState(Strict):
    amount_cents: int
    paid_cents: int = 0
    status: str = "pending"
    version: int = 0  # the charge's version this snapshot came from
    unapplied_cents: int = 0  # paid on it after it was cancelled or paid


class TimelineEntry(Strict):
    event_id: str
    type: str
    occurred_at: str


class Order(Strict):
    id: str
    customer_id: str
    status: OrderStatus
    payment_status: PaymentStatus = "pending"
    lines: list[OrderLine]
    products_cents: int
    shipping_cents: int
    total_cents: int
    payment: Payment
    notes: str | None = None
    invoice_id: str | None = None
    charges: dict[str, ChargeState] = Field(default_factory=dict)
    paid_cents: int = 0
    carrier: str | None = None
    tracking_code: str | None = None
    cancel_reason: str | None = None
    created_at: str
    updated_at: str
    timeline: list[TimelineEntry] = Field(default_factory=list)
    version: int = 1

    @property
    def charge_ids(self) -> list[str]:
        return sorted(self.charges)

    def public(self, *, timeline: bool = True) -> dict[str, Any]:
        """The order as the API shows it (and, without its timeline, as its events carry it)."""
        body = self.model_dump(mode="json", exclude={"version", "charges"} | (set() if timeline else {"timeline"}))
        return {**body, "charge_ids": self.charge_ids, "refund_due_cents": self.refund_due_cents}

    @property
    def refund_due_cents(self) -> int:
        """Money to give back: what a cancelled order's charges collected (a payment that raced the
        cancellation, an order cancelled after it was paid), and any payment that landed on a charge
        already cancelled or paid."""
        unapplied = sum(c.unapplied_cents for c in self.charges.values())
        return unapplied + (sum(c.paid_cents for c in self.charges.values()) if self.status == "cancelled" else 0)

    def with_payments(self) -> Order:
        """The order with `paid_cents` and `payment_status` derived from its charges."""
        live = {cid: c for cid, c in self.charges.items() if c.status != "cancelled"}
        paid = sum(c.paid_cents for c in live.values())
        overdue = any(c.status == "overdue" for c in live.values())
        return self.model_copy(update={"paid_cents": paid,
                                       "payment_status": payment_status(self.total_cents, paid, overdue)})

"""HTTP routes of the orders context."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from chalicelib.orders import service
from chalicelib.orders.model import MAX_LINES, MAX_QUANTITY, LineRequest, Order, OrderStatus, Payment, PaymentStatus
from chalicelib.orders.service import OrderDeps
from chalicelib.platform.http import Api, Call, Result
from chalicelib.platform.money import Cents
from chalicelib.platform.pagination import ListQuery, page_body
from chalicelib.platform.text import MULTILINE, PRINTABLE

api: Api[OrderDeps] = Api(__name__, tag="Orders")

CustomerId = Annotated[str, StringConstraints(pattern=r"^cus_[0-9A-HJKMNP-TV-Z]{26}$")]
Line60 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60, pattern=PRINTABLE)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=MULTILINE)]


class OrderLineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    quantity: Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY)]
    unit_price_cents: Cents | None = Field(default=None, description="Defaults to the product's price.")


class CreateOrderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: CustomerId
    lines: list[OrderLineRequest] = Field(min_length=1, max_length=MAX_LINES,
                                          description=f"At most {MAX_LINES} lines; lines of one SKU at one price merge.")
    payment: Payment
    shipping_cents: Cents = 0
    notes: Text | None = None


class ShipOrderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    carrier: Line60 | None = None
    tracking_code: Line60 | None = None


class DeliverOrderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CancelOrderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255, pattern=MULTILINE)]


class OrderLineResponse(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price_cents: int
    total_cents: int


class TimelineResponse(BaseModel):
    event_id: str
    type: str
    occurred_at: str


class OrderResponse(BaseModel):
    id: str
    customer_id: str
    status: OrderStatus
    payment_status: PaymentStatus
    lines: list[OrderLineResponse]
    products_cents: int
    shipping_cents: int
    total_cents: int
    paid_cents: int
    refund_due_cents: int = Field(description="Paid on an order that is cancelled: to give back to the customer")
    payment: Payment
    notes: str | None
    invoice_id: str | None
    charge_ids: list[str]
    carrier: str | None
    tracking_code: str | None
    cancel_reason: str | None
    created_at: str
    updated_at: str
    timeline: list[TimelineResponse]


class OrderListResponse(BaseModel):
    data: list[OrderResponse]
    next_cursor: str | None


class OrderQuery(ListQuery):
    model_config = ConfigDict(extra="forbid")

    status: OrderStatus | None = None
    customer_id: CustomerId | None = None


def render(order: Order) -> dict[str, Any]:
    return order.public()


@api.route_spec("/v1/orders", "POST", scope="orders:write", request=CreateOrderRequest, response=OrderResponse,
                status=201, extra_statuses=(404, 409))
def create_order(call: Call[OrderDeps]) -> Result:
    """Place an order
    Prices the lines (the product's price unless `unit_price_cents` is given) and, in one
    atomic step, reserves every line's stock, records the order as `confirmed` and emits
    `order.confirmed`. If any line is short, nothing is reserved: 409 `insufficient_stock`
    lists every short SKU (field `lines.<i>.quantity`). The total (lines + shipping) is at
    most 9,999,999,999 centavos (a boleto's amount field) and at least one centavo per
    installment; an unknown customer or SKU is 404 naming `customer_id` or `lines.<i>.sku`."""
    body: CreateOrderRequest = call.body
    cmd = service.NewOrder(
        customer_id=body.customer_id,
        lines=[LineRequest(line.sku, line.quantity, line.unit_price_cents) for line in body.lines],
        payment=body.payment, shipping_cents=body.shipping_cents, notes=body.notes)
    return Result(render(service.place_order(call.tenant_id, cmd, call.deps)), status=201)


@api.route_spec("/v1/orders", scope="orders:read", query=OrderQuery, response=OrderListResponse)
def list_orders(call: Call[OrderDeps]) -> Result:
    """List orders, newest first, by `status` and `customer_id`"""
    q: OrderQuery = call.query
    page = call.deps.repo.list(call.tenant_id, q.status, q.customer_id, q.limit, q.cursor)
    return Result(page_body(page, render))


@api.route_spec("/v1/orders/{order_id}", scope="orders:read", response=OrderResponse, extra_statuses=(404,))
def get_order(call: Call[OrderDeps], order_id: str) -> Result:
    """Get an order, with its invoice, charges and timeline"""
    return Result(render(call.deps.repo.get(call.tenant_id, order_id)))


@api.route_spec("/v1/orders/{order_id}/ship", "POST", scope="orders:write", request=ShipOrderRequest,
                response=OrderResponse, extra_statuses=(404, 409))
def ship_order(call: Call[OrderDeps], order_id: str) -> Result:
    """Ship an order
    From `invoiced` (or `confirmed` when the tenant has invoicing off): the reservation
    becomes outbound stock movements."""
    body: ShipOrderRequest = call.body
    order = service.ship_order(call.tenant_id, order_id, body.carrier, body.tracking_code, call.deps)
    return Result(render(order))


@api.route_spec("/v1/orders/{order_id}/deliver", "POST", scope="orders:write", request=DeliverOrderRequest,
                response=OrderResponse, extra_statuses=(404, 409))
def deliver_order(call: Call[OrderDeps], order_id: str) -> Result:
    """Mark a shipped order delivered"""
    return Result(render(service.deliver_order(call.tenant_id, order_id, call.deps)))


@api.route_spec("/v1/orders/{order_id}/cancel", "POST", scope="orders:write", request=CancelOrderRequest,
                response=OrderResponse, extra_statuses=(404, 409))
def cancel_order(call: Call[OrderDeps], order_id: str) -> Result:
    """Cancel an order
    From `confirmed` or `invoiced`: releases the reservation and emits `order.cancelled`,
    on which invoicing cancels the NF-e and collections the open charges."""
    body: CancelOrderRequest = call.body
    return Result(render(service.cancel_order(call.tenant_id, order_id, body.reason, call.deps)))

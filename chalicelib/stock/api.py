"""HTTP routes of the stock context: warehouses, movements, levels and the ledger."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, ValidationInfo, field_validator

from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.http import Api, Call, Result
from chalicelib.platform.pagination import ListQuery, page_body
from chalicelib.platform.text import MULTILINE, PRINTABLE
from chalicelib.stock import service
from chalicelib.stock.model import (
    DEFAULT_WAREHOUSE,
    MAX_QUANTITY,
    WAREHOUSE_PATTERN,
    Movement,
    MovementType,
    Sku,
    Warehouse,
    WarehouseCode,
    is_sku,
)
from chalicelib.stock.service import StockDeps

api: Api[StockDeps] = Api(__name__, tag="Stock")


class CreateMovementRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    type: Literal["receipt", "adjustment", "return"] = Field(
        description="`receipt` and `return` add (quantity > 0); `adjustment` is signed.")
    quantity: Annotated[StrictInt, Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY)]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200,
                                             pattern=MULTILINE)] | None = None
    warehouse: WarehouseCode = Field(default=DEFAULT_WAREHOUSE, description=(
        "A warehouse code: `main` (every tenant has it) or one registered with `POST /v1/warehouses`; "
        "any other code is 400. A SKU's stock in a warehouse starts with its first receipt there."))

    @field_validator("quantity")
    @classmethod
    def _signed_by_type(cls, value: int, info: ValidationInfo) -> int:
        if value == 0:
            raise ValueError("must not be zero")
        if info.data.get("type") in ("receipt", "return") and value < 0:
            raise ValueError(f"must be positive for a {info.data['type']}")
        return value


class CreateWarehouseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: WarehouseCode = Field(description="`[a-z0-9_-]{1,20}`, unique per tenant; `main` is built in.")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60, pattern=PRINTABLE)]


class WarehouseResponse(BaseModel):
    code: str
    name: str
    built_in: bool = Field(description="true only for `main`, which every tenant has without creating it.")
    created_at: str | None = Field(description="null for the built-in `main`.")


class WarehouseListResponse(BaseModel):
    data: list[WarehouseResponse]
    next_cursor: str | None


class MovementResponse(BaseModel):
    id: str
    sku: str
    warehouse: str
    type: MovementType
    quantity: int = Field(description="Signed: what the movement added to on_hand.")
    reason: str | None
    reference: str | None = Field(description="What caused it (the reservation/order id of a shipment).")
    created_at: str


class MovementListResponse(BaseModel):
    data: list[MovementResponse]
    next_cursor: str | None


class MovementQuery(ListQuery):
    sku: Sku | None = None


class WarehouseLevelResponse(BaseModel):
    warehouse: str
    on_hand: int
    reserved: int
    available: int


class StockLevelResponse(BaseModel):
    sku: str
    on_hand: int
    reserved: int
    available: int = Field(description="on_hand − reserved, never negative.")
    min_stock: int
    below_minimum: bool
    warehouses: list[WarehouseLevelResponse]


class StockLevelListResponse(BaseModel):
    data: list[StockLevelResponse]
    next_cursor: str | None


class StockQuery(ListQuery):
    below_minimum: bool | None = Field(default=None, description="true: only levels whose available < min_stock.")


def _movement(movement: Movement) -> dict[str, Any]:
    return movement.model_dump(mode="json")


def _warehouse(warehouse: Warehouse) -> dict[str, Any]:
    return warehouse.model_dump(mode="json")


@api.route_spec("/v1/warehouses", "POST", scope="stock:write", request=CreateWarehouseRequest,
                response=WarehouseResponse, status=201, extra_statuses=(409,))
def create_warehouse(call: Call[StockDeps]) -> Result:
    """Register a warehouse
    Stock can then be moved into it by its `code` (unique per tenant: a second one is 409
    `conflict`). Every tenant already has `main`; it cannot be registered again."""
    body: CreateWarehouseRequest = call.body
    return Result(_warehouse(service.create_warehouse(call.tenant_id, body.code, body.name, call.deps)),
                  status=201)


@api.route_spec("/v1/warehouses", scope="stock:read", query=ListQuery, response=WarehouseListResponse)
def list_warehouses(call: Call[StockDeps]) -> Result:
    """List warehouses, by code
    The built-in `main` included."""
    page = call.deps.repo.list_warehouses(call.tenant_id, call.query.limit, call.query.cursor)
    return Result(page_body(page, _warehouse))


@api.route_spec("/v1/warehouses/{code}", scope="stock:read", response=WarehouseResponse, extra_statuses=(404,))
def get_warehouse(call: Call[StockDeps], code: str) -> Result:
    """Get a warehouse"""
    if not re.fullmatch(WAREHOUSE_PATTERN, code):
        raise NotFoundError(f"No warehouse {code}.")
    return Result(_warehouse(call.deps.repo.get_warehouse(call.tenant_id, code)))


@api.route_spec("/v1/stock/movements", "POST", scope="stock:write", request=CreateMovementRequest,
                response=MovementResponse, status=201, extra_statuses=(404, 409))
def create_movement(call: Call[StockDeps]) -> Result:
    """Record a stock movement
    A receipt, return or signed adjustment of one SKU in one warehouse (default `main`; any
    other must be registered first, else 400 on `warehouse` and nothing is written).
    The level, the ledger entry and `stock.moved` are written together; an adjustment that
    would take `available` below zero is 409 `insufficient_stock` with the numbers."""
    body: CreateMovementRequest = call.body
    cmd = service.NewMovement(sku=body.sku, type=body.type, quantity=body.quantity, warehouse=body.warehouse,
                              reason=body.reason)
    return Result(_movement(service.record_movement(call.tenant_id, cmd, call.deps)), status=201)


@api.route_spec("/v1/stock/movements", scope="stock:read", query=MovementQuery, response=MovementListResponse)
def list_movements(call: Call[StockDeps]) -> Result:
    """List stock movements, newest first
    The ledger; filter with `sku`."""
    page = call.deps.repo.list_movements(call.tenant_id, call.query.sku, call.query.limit,
                                                      call.query.cursor)
    return Result(page_body(page, _movement))


@api.route_spec("/v1/stock", scope="stock:read", query=StockQuery, response=StockLevelListResponse)
def list_levels(call: Call[StockDeps]) -> Result:
    """List stock levels, by SKU
    `below_minimum=true` lists only the SKUs whose available stock is below their minimum."""
    page = call.deps.repo.list_levels(call.tenant_id, call.query.below_minimum, call.query.limit,
                                                   call.query.cursor)
    return Result(page_body(page, service.level_view))


@api.route_spec("/v1/stock/{sku}", scope="stock:read", response=StockLevelResponse, extra_statuses=(404,))
def get_level(call: Call[StockDeps], sku: str) -> Result:
    """Get a SKU's stock level, per warehouse"""
    if not is_sku(sku):
        raise NotFoundError(f"No stock for SKU {sku}.")
    return Result(service.level_view(call.deps.repo.get_level(call.tenant_id, sku)))

"""Customers and products: pure rules, no I/O."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from chalicelib.brazil.documents import CpfOrCnpj
from chalicelib.brazil.places import Address
from chalicelib.brazil.taxes import TaxRules
from chalicelib.platform.money import Cents
from chalicelib.platform.text import PRINTABLE, Email
from chalicelib.stock.model import MAX_QUANTITY, Sku  # the SKU is the stock context's vocabulary


def _gtin(value: str) -> str:
    """GTIN-8/12/13/14 with its check digit, or the NF-e literal 'SEM GTIN'."""
    if value == "SEM GTIN":
        return value
    if not re.fullmatch(r"\d{8}|\d{12,14}", value):
        raise ValueError("must be a GTIN of 8, 12, 13 or 14 digits, or 'SEM GTIN'")
    body, check = value[:-1], int(value[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    if (10 - total % 10) % 10 != check:
        raise ValueError("GTIN check digit is wrong")
    return value


Gtin = Annotated[str, AfterValidator(_gtin)]
Ncm = Annotated[str, StringConstraints(pattern=r"^\d{8}$")]
# First digit 1..3 are entries, 5..7 exits; products carry the CFOP of their usual sale.
Cfop = Annotated[str, StringConstraints(pattern=r"^[1-35-7]\d{3}$")]
# Origem da mercadoria (NF-e `orig`), 0 nacional .. 8 nacional com conteúdo de importação > 70%.
Origin = Annotated[StrictInt, Field(ge=0, le=8)]
Unit = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,6}$")]
Quantity = Annotated[StrictInt, Field(ge=0, le=MAX_QUANTITY)]
CustomerName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=60, pattern=PRINTABLE)]
ProductName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120, pattern=PRINTABLE)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?\d{10,14}$")]
StateRegistration = Annotated[str, StringConstraints(pattern=r"^(ISENTO|\d{2,14})$")]
DocumentType = Literal["cpf", "cnpj"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Party(Strict):
    """What customers and suppliers both are."""

    id: str
    name: CustomerName
    document: CpfOrCnpj
    document_type: DocumentType
    email: Email | None = None
    phone: Phone | None = None
    state_registration: StateRegistration | None = None


class Customer(Party):
    address: Address
    dunning_paused_until: date | None = None  # a promise to pay: no dunning step before the day after
    created_at: str
    updated_at: str
    version: int = 1


class Supplier(Party):
    """Who the tenant buys from: a party like a customer (its document unique among the suppliers)."""

    address: Address | None = None  # an NF-e's emitter always has one; a hand-made supplier may not yet
    lead_time_days: int | None = Field(default=None, ge=0, le=365)  # order to delivery (reorder suggestions)
    created_at: str
    updated_at: str
    version: int = 1


class Product(Strict):
    sku: Sku
    name: ProductName
    unit: Unit = "UN"
    price_cents: Cents
    cost_cents: Cents = 0
    ncm: Ncm
    cfop: Cfop = "5102"
    origin: Origin = 0
    gtin: Gtin | None = None
    min_stock: Quantity = 0
    tax: TaxRules | None = None
    created_at: str
    updated_at: str
    version: int = 1


def document_type(document: str) -> DocumentType:
    return "cpf" if len(document) == 11 else "cnpj"

"""Money is integer centavos (BRL). Never floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer, StrictInt

# Up to ten billion reais: large enough for any real document, small enough to catch garbage.
MAX_CENTS = 1_000_000_000_000
# The most one charge can ask for: the boleto's amount field has ten digits (R$ 99.999.999,99).
MAX_CHARGE_CENTS = 9_999_999_999

# A percentage (fine, interest, tax rate) as an exact Decimal; JSON shows it as a number.
Percent = Annotated[
    Decimal,
    Field(ge=0, le=100, max_digits=7, decimal_places=4),
    PlainSerializer(lambda v: float(v), return_type=float, when_used="json"),
]
Cents = Annotated[StrictInt, Field(ge=0, le=MAX_CENTS)]
PositiveCents = Annotated[StrictInt, Field(gt=0, le=MAX_CENTS)]


def round_cents(value: Decimal) -> int:
    """Round a Decimal amount of centavos half-up to a whole centavo."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def split_cents(total: int, parts: int) -> list[int]:
    """Split `total` into `parts` integer amounts; the remainder goes on the first."""
    if parts < 1:
        raise ValueError("parts must be >= 1")
    base, remainder = divmod(total, parts)
    return [base + remainder] + [base] * (parts - 1)


def format_brl(cents: int) -> str:
    """'R$ 1.234,56' for 123456."""
    reais, centavos = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    return f"{sign}R$ {reais:,}".replace(",", ".") + f",{centavos:02d}"


def decimal_comma(cents: int) -> str:
    """'1234,56' for 123456: what a pt-BR spreadsheet reads as a number (no currency, no thousands dot)."""
    reais, centavos = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{reais},{centavos:02d}"

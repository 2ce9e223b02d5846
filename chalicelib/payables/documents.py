"""What a company pays with, decoded and checked: a bank boleto (47-digit linha digitável or 44-digit
barcode, FEBRABAN's layout, decoded by collections' boleto module) and an arrecadação code (utilities,
taxes, convênios: a 44-digit barcode starting with 8, typed as a 48-digit linha of four 11-digit blocks
each with its DV).

Arrecadação (FEBRABAN's "Layout padrão de arrecadação/recebimento com utilização do código de barras"):
digit 1 is 8; digit 2 the segment; digit 3 the value's kind and the DV's module (6 value in reais,
modulo 10; 7 a quantity of currency, modulo 10; 8 value in reais, modulo 11; 9 quantity, modulo 11);
digit 4 the general DV over the other 43 digits; 5..15 the value in centavos (when 6 or 8); 16..19 the
company's FEBRABAN code (segment 6: 16..23, the CNPJ root). It carries no due date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from chalicelib.collections import boleto
from chalicelib.platform.errors import FieldError, InvalidRequestError

Kind = Literal["bank_boleto", "arrecadacao", "pix"]

SEGMENTS = {"1": "prefeituras", "2": "saneamento", "3": "energia elétrica e gás", "4": "telecomunicações",
            "5": "órgãos governamentais", "6": "carnês e empresas (CNPJ)", "7": "multas de trânsito",
            "9": "uso exclusivo do banco"}
_PUNCTUATION = re.compile(r"[\s.\-]")


@dataclass(frozen=True)
class PaymentCode:
    kind: Kind
    barcode: str | None  # 44 digits (None for Pix)
    digitable_line: str | None  # 47 (bank boleto) or 48 digits (arrecadação); the payload for Pix
    amount_cents: int | None  # None: the code carries no amount (a quantity of currency, or zero)
    due_date: date | None
    bank_code: str | None = None  # bank boletos
    segment: str | None = None  # arrecadação
    company: str | None = None  # arrecadação: FEBRABAN company code, or the CNPJ root (segment 6)
    pix_key: str | None = None  # Pix: the payee's key (static) or the location of its dynamic charge
    pix_location: str | None = None
    payee_name: str | None = None
    txid: str | None = None


class PaymentCodeError(InvalidRequestError):
    def __init__(self, detail: str, field: str, message: str) -> None:
        super().__init__(detail, [FieldError(field, message)])


def mod10(digits: str) -> int:
    """Arrecadação's módulo 10: weights 2,1 from the right, a product's digits summed."""
    return boleto.dv_mod10(digits)


def mod11(digits: str) -> int:
    """Arrecadação's módulo 11: weights 2..9 from the right; a rest of 0 or 1 gives 0, else 11 − rest
    (not the bank boleto's rule, where 0, 10 and 11 become 1)."""
    rest = sum(int(ch) * (2 + i % 8) for i, ch in enumerate(reversed(digits))) % 11
    return 0 if rest in (0, 1) else 11 - rest


def _dv(value_id: str, digits: str) -> int:
    return mod10(digits) if value_id in ("6", "7") else mod11(digits)


def arrecadacao_from_barcode(barcode: str, field: str = "document.barcode") -> PaymentCode:
    if len(barcode) != 44 or not barcode.isdigit() or barcode[0] != "8":
        raise PaymentCodeError("An arrecadação barcode has 44 digits and starts with 8.", field,
                               "must be 44 digits starting with 8")
    value_id = barcode[2]
    if value_id not in "6789":
        raise PaymentCodeError(f"Digit 3 of an arrecadação code is 6, 7, 8 or 9, not {value_id}.", field,
                               "has an unknown value identifier (digit 3)")
    expected = _dv(value_id, barcode[:3] + barcode[4:])
    if int(barcode[3]) != expected:
        raise PaymentCodeError(f"The general check digit is {barcode[3]}, expected {expected}.", field,
                               "has a wrong check digit (position 4)")
    amount = int(barcode[4:15]) if value_id in ("6", "8") else 0
    line = "".join(block + str(_dv(value_id, block)) for block in (barcode[i:i + 11] for i in range(0, 44, 11)))
    segment = barcode[1]
    company = barcode[15:23] if segment == "6" else barcode[15:19]
    return PaymentCode(kind="arrecadacao", barcode=barcode, digitable_line=line, amount_cents=amount or None,
                       due_date=None, segment=segment, company=company)


def arrecadacao_from_line(line: str, field: str = "document.digitable_line") -> PaymentCode:
    if len(line) != 48 or not line.isdigit() or line[0] != "8":
        raise PaymentCodeError("An arrecadação linha digitável has 48 digits and starts with 8.", field,
                               "must be 48 digits starting with 8")
    value_id = line[2]
    if value_id not in "6789":
        raise PaymentCodeError(f"Digit 3 of an arrecadação code is 6, 7, 8 or 9, not {value_id}.", field,
                               "has an unknown value identifier (digit 3)")
    blocks = [line[i:i + 12] for i in range(0, 48, 12)]
    for n, block in enumerate(blocks, start=1):
        expected = _dv(value_id, block[:11])
        if int(block[11]) != expected:
            raise PaymentCodeError(f"Block {n}'s check digit is {block[11]}, expected {expected}.", field,
                                   f"has a wrong check digit in block {n}")
    return arrecadacao_from_barcode("".join(block[:11] for block in blocks), field)


def decode(digitable_line: str | None, barcode: str | None, today: date) -> PaymentCode:
    """The payment code a bill carries, from its linha digitável or its barcode (punctuation ignored);
    400 naming the field given when it has the wrong length or a wrong check digit."""
    if digitable_line is not None:
        digits, field = _PUNCTUATION.sub("", digitable_line), "document.digitable_line"
    elif barcode is not None:
        digits, field = _PUNCTUATION.sub("", barcode), "document.barcode"
    else:
        raise PaymentCodeError("Give the linha digitável or the barcode.", "document", "is empty")
    if not digits.isdigit():
        raise PaymentCodeError("A payment code is digits.", field, "must be digits")
    if digits.startswith("8"):
        return arrecadacao_from_line(digits, field) if len(digits) == 48 else arrecadacao_from_barcode(digits, field)
    try:
        if len(digits) == 47:
            barcode_digits = boleto.linha_to_barcode(digits)
        elif len(digits) == 44:
            barcode_digits = boleto.validate_barcode(digits)
        else:
            raise PaymentCodeError("A boleto's linha digitável has 47 digits (48 for utilities and taxes) and its "
                                   "barcode 44.", field, "must be 47 or 48 digits" if field.endswith("line")
                                   else "must be 44 digits")
        decoded = boleto.decode_barcode(barcode_digits, today)
    except boleto.BoletoError as exc:
        raise PaymentCodeError(f"The boleto is not valid: {exc.detail}", field,
                               exc.errors[0].message if exc.errors else "is not a valid boleto") from None
    return PaymentCode(kind="bank_boleto", barcode=barcode_digits, digitable_line=boleto.barcode_to_linha(barcode_digits),
                       amount_cents=decoded.amount_cents or None, due_date=decoded.due_date,
                       bank_code=decoded.bank_code)


def from_pix(payload: str, field: str = "document.pix_brcode") -> PaymentCode:
    """A Pix BR Code ("copia e cola") to pay: its CRC checked by collections' parser, the payee's key or
    location, name and amount (None for a code that leaves the amount to the payer)."""
    from chalicelib.collections import pix

    try:
        code = pix.parse_brcode(payload)
    except pix.PixError as exc:
        raise PaymentCodeError(f"The Pix BR Code is not valid: {exc.detail}", field,
                               exc.errors[0].message if exc.errors else "is not a valid BR Code") from None
    return PaymentCode(kind="pix", barcode=None, digitable_line=payload.strip(), amount_cents=code.amount_cents,
                       due_date=None, pix_key=code.key, pix_location=code.location, payee_name=code.name,
                       txid=code.txid)

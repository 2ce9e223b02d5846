"""Boleto (FEBRABAN): barcode, linha digitável, fator de vencimento and bank campo livre layouts.

Pure functions over digit strings; money is integer centavos.

Barcode (44): banco(3) moeda(1) DV(1) fator(4) valor(10) campo_livre(25).
Linha digitável (47): F1 = banco+moeda+livre[0:5]+DV10, F2 = livre[5:15]+DV10, F3 = livre[15:25]+DV10,
F4 = DV geral, F5 = fator+valor.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from chalicelib.platform.errors import FieldError, InvalidRequestError
from chalicelib.platform.money import MAX_CHARGE_CENTS

MOEDA_REAL = "9"
MAX_AMOUNT_CENTS = MAX_CHARGE_CENTS  # ten digits: R$ 99.999.999,99
FATOR_BASE_DATE = date(1997, 10, 7)
FATOR_MIN, FATOR_MAX = 1000, 9999
FATOR_CYCLE_DAYS = FATOR_MAX - FATOR_MIN + 1  # 9000: 9999 on 2025-02-21, 1000 again on 2025-02-22
FATOR_FIRST_DATE = FATOR_BASE_DATE + timedelta(days=FATOR_MIN)  # 2000-07-03, the first fator 1000
FATOR_SEM_VENCIMENTO = "0000"

_DIGITS = re.compile(r"^\d+$")
_LINHA_PUNCTUATION = re.compile(r"[\s.\-]")


# --- errors -------------------------------------------------------------------------------------

class BoletoError(InvalidRequestError):
    """A boleto could not be built or read."""

    code = "invalid_boleto"


class BarcodeFormatError(BoletoError):
    """The barcode is not 44 digits."""

    code = "invalid_barcode_format"


class BarcodeCheckDigitError(BoletoError):
    """The barcode's DV geral (position 5) does not match its other 43 digits."""

    code = "invalid_barcode_check_digit"


class LinhaDigitavelFormatError(BoletoError):
    """The linha digitável is not 47 digits (dots and spaces allowed between fields)."""

    code = "invalid_linha_digitavel_format"


class LinhaDigitavelCheckDigitError(BoletoError):
    """One or more check digits of the linha digitável are wrong; `fields` names every one."""

    code = "invalid_linha_digitavel_check_digit"

    def __init__(self, fields: tuple[str, ...], errors: list[FieldError]) -> None:
        super().__init__(f"Wrong check digit in {', '.join(fields)}.", errors)
        self.fields = fields


class UnsupportedCurrencyError(BoletoError):
    """The boleto is not in reais (moeda 9)."""

    code = "unsupported_boleto_currency"


class AmountOutOfRangeError(BoletoError):
    """The amount does not fit the barcode's 10 digits of centavos (or is negative)."""

    code = "boleto_amount_out_of_range"


class DueDateOutOfRangeError(BoletoError):
    """The due date is before 2000-07-03, the first date a fator de vencimento can express."""

    code = "boleto_due_date_out_of_range"


class UnknownLayoutError(BoletoError):
    """No campo livre layout of the table matches the bank and parameters."""

    code = "unknown_boleto_layout"


class LayoutParameterError(BoletoError):
    """A layout parameter or the nosso número does not fit the layout."""

    code = "invalid_boleto_layout_parameter"


# --- check digits -------------------------------------------------------------------------------

def _require_digits(value: str, what: str) -> None:
    if not _DIGITS.match(value):
        raise BoletoError(f"{what} must contain only digits.")


def dv_mod10(digits: str) -> int:
    """Módulo 10 of a linha digitável field: weights 2,1 from the right, digits of each product summed."""
    _require_digits(digits, "A DV10 field")
    total = 0
    for i, ch in enumerate(reversed(digits)):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def dv_mod11_barcode(digits43: str) -> int:
    """DV geral: módulo 11 over the 43 other digits, weights 2..9 from the right; 0, 10 and 11 become 1."""
    _require_digits(digits43, "The barcode")
    if len(digits43) != 43:
        raise BarcodeFormatError("The DV geral is computed over exactly 43 digits.")
    total = sum(int(ch) * (2 + i % 8) for i, ch in enumerate(reversed(digits43)))
    dv = 11 - total % 11
    return 1 if dv in (0, 10, 11) else dv


# --- fator de vencimento ------------------------------------------------------------------------

def fator_vencimento(due_date: date | None) -> str:
    """The 4-digit fator for a due date ("0000" for none); counts 1000..9999 and starts again at 1000."""
    if due_date is None:
        return FATOR_SEM_VENCIMENTO
    days = (due_date - FATOR_BASE_DATE).days
    if days < FATOR_MIN:
        raise DueDateOutOfRangeError(f"A due date before {FATOR_FIRST_DATE.isoformat()} has no fator de vencimento.",
                                     [FieldError("due_date", "is before 2000-07-03")])
    return f"{(days - FATOR_MIN) % FATOR_CYCLE_DAYS + FATOR_MIN:04d}"


def due_date_from_fator(fator: str | int, reference: date) -> date | None:
    """The date a fator stands for: of the dates that share it (9000 days apart), the nearest to `reference`.

    "0000" means no due date (None). A tie (exactly half a cycle away either side) resolves to the later date.
    """
    value = int(fator)
    if value == 0:
        return None
    if not FATOR_MIN <= value <= FATOR_MAX:
        raise BoletoError(f"Fator de vencimento {value:04d} is outside 1000..9999.",
                          [FieldError("fator_vencimento", "must be 0000 or 1000..9999")])
    first = FATOR_BASE_DATE + timedelta(days=value)  # the date in the first cycle (2000-07-03 .. 2025-02-21)
    cycles = max(0, round((reference - first).days / FATOR_CYCLE_DAYS))
    candidates = [first + timedelta(days=FATOR_CYCLE_DAYS * k) for k in (cycles - 1, cycles, cycles + 1) if k >= 0]
    return min(candidates, key=lambda d: (abs((d - reference).days), -d.toordinal()))


# --- barcode and linha digitável ----------------------------------------------------------------

def _amount_field(amount_cents: int) -> str:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise AmountOutOfRangeError("The amount must be an integer number of centavos.",
                                    [FieldError("amount_cents", "must be an integer")])
    if not 0 <= amount_cents <= MAX_AMOUNT_CENTS:
        raise AmountOutOfRangeError("A boleto amount must be between R$ 0,00 and R$ 99.999.999,99.",
                                    [FieldError("amount_cents", f"must be between 0 and {MAX_AMOUNT_CENTS}")])
    return f"{amount_cents:010d}"


def build_barcode(bank_code: str, fator: str, amount_cents: int, campo_livre: str) -> str:
    """The 44-digit barcode from its parts, with the DV geral computed."""
    if len(bank_code) != 3 or not _DIGITS.match(bank_code):
        raise BoletoError("The bank code must be 3 digits.", [FieldError("bank_code", "must be 3 digits")])
    if len(campo_livre) != 25 or not _DIGITS.match(campo_livre):
        raise BoletoError("The campo livre must be 25 digits.", [FieldError("campo_livre", "must be 25 digits")])
    if len(fator) != 4 or not _DIGITS.match(fator):
        raise BoletoError("The fator de vencimento must be 4 digits.")
    without_dv = bank_code + MOEDA_REAL + fator + _amount_field(amount_cents) + campo_livre
    dv = dv_mod11_barcode(without_dv)
    return without_dv[:4] + str(dv) + without_dv[4:]


def _clean_barcode(barcode: str) -> str:
    if len(barcode) != 44 or not _DIGITS.match(barcode):
        raise BarcodeFormatError("A boleto barcode has exactly 44 digits.", [FieldError("barcode", "must be 44 digits")])
    return barcode


def validate_barcode(barcode: str) -> str:
    """The barcode itself when it has 44 digits and a correct DV geral; raises otherwise."""
    barcode = _clean_barcode(barcode)
    expected = dv_mod11_barcode(barcode[:4] + barcode[5:])
    if int(barcode[4]) != expected:
        raise BarcodeCheckDigitError(f"The barcode DV geral is {barcode[4]}, expected {expected}.",
                                     [FieldError("barcode", "has a wrong check digit (position 5)",
                                                 {"expected": str(expected)})])
    return barcode


def barcode_to_linha(barcode: str) -> str:
    """The 47-digit linha digitável (no punctuation) of a valid barcode."""
    barcode = validate_barcode(barcode)
    livre = barcode[19:44]
    f1 = barcode[0:4] + livre[0:5]
    f2 = livre[5:15]
    f3 = livre[15:25]
    return (f1 + str(dv_mod10(f1)) + f2 + str(dv_mod10(f2)) + f3 + str(dv_mod10(f3))
            + barcode[4] + barcode[5:19])


def normalize_linha(linha: str) -> str:
    """The 47 digits of a linha digitável typed with or without dots and spaces."""
    digits = _LINHA_PUNCTUATION.sub("", linha)
    if len(digits) != 47 or not _DIGITS.match(digits):
        raise LinhaDigitavelFormatError("A boleto linha digitável has exactly 47 digits.",
                                        [FieldError("linha_digitavel", "must be 47 digits")])
    return digits


def format_linha(linha: str) -> str:
    """The printed form: 'AAABC.CCCCX DDDDD.DDDDDY EEEEE.EEEEEZ K UUUUVVVVVVVVVV'."""
    d = normalize_linha(linha)
    return f"{d[0:5]}.{d[5:10]} {d[10:15]}.{d[15:21]} {d[21:26]}.{d[26:32]} {d[32]} {d[33:47]}"


def validate_linha(linha: str) -> str:
    """The 47 digits of a linha digitável whose three DV10 and DV geral are right; raises naming every wrong one."""
    d = normalize_linha(linha)
    wrong: list[str] = []
    errors: list[FieldError] = []
    for name, body, dv in (("campo1", d[0:9], d[9]), ("campo2", d[10:20], d[20]), ("campo3", d[21:31], d[31])):
        expected = dv_mod10(body)
        if int(dv) != expected:
            wrong.append(name)
            errors.append(FieldError(f"linha_digitavel.{name}", "has a wrong check digit", {"expected": str(expected)}))
    barcode_body = d[0:4] + d[33:47] + d[4:9] + d[10:20] + d[21:31]
    expected_geral = dv_mod11_barcode(barcode_body)
    if int(d[32]) != expected_geral:
        wrong.append("dv_geral")
        errors.append(FieldError("linha_digitavel.dv_geral", "has a wrong check digit",
                                 {"expected": str(expected_geral)}))
    if wrong:
        raise LinhaDigitavelCheckDigitError(tuple(wrong), errors)
    return d


def linha_to_barcode(linha: str) -> str:
    """The 44-digit barcode of a linha digitável, after checking all its check digits."""
    d = validate_linha(linha)
    return d[0:4] + d[32] + d[33:47] + d[4:9] + d[10:20] + d[21:31]


class DecodedBoleto(NamedTuple):
    """What any bank's barcode tells without knowing its layout; unpacks as (bank, amount, due date)."""

    bank_code: str
    amount_cents: int
    due_date: date | None


def decode_barcode(barcode: str, today: date) -> DecodedBoleto:
    """Bank, amount and due date (the fator's date nearest to `today`) of a valid barcode in reais."""
    barcode = validate_barcode(barcode)
    if barcode[3] != MOEDA_REAL:
        raise UnsupportedCurrencyError(f"Moeda {barcode[3]} is not supported; only 9 (reais).",
                                       [FieldError("barcode", "must be in reais (moeda 9)")])
    return DecodedBoleto(bank_code=barcode[0:3], amount_cents=int(barcode[9:19]),
                         due_date=due_date_from_fator(barcode[5:9], today))


def decode_linha(linha: str, today: date) -> DecodedBoleto:
    """Like `decode_barcode`, from a linha digitável."""
    return decode_barcode(linha_to_barcode(linha), today)


def campo_livre_of(barcode: str) -> str:
    """The 25-digit campo livre of a valid barcode."""
    return validate_barcode(barcode)[19:44]


# --- campo livre layouts (data) -----------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    """One run of digits: a literal, a layout parameter, the caller's sequence, or the formatted nosso número."""

    source: str  # "literal", "param", "sequencia" or "nosso_numero"
    width: int
    name: str = ""  # the parameter name, or the literal digits


def lit(digits: str) -> Part:
    return Part("literal", len(digits), digits)


def param(name: str, width: int) -> Part:
    return Part("param", width, name)


def seq(width: int) -> Part:
    return Part("sequencia", width)


def nn(width: int) -> Part:
    return Part("nosso_numero", width)


@dataclass(frozen=True)
class CampoLivreLayout:
    """A bank's campo livre: which parameters it needs and how they and the nosso número fill 25 digits."""

    key: str
    bank_code: str
    description: str
    carteiras: frozenset[str]
    params: tuple[Part, ...]        # parameters the caller supplies, each with its exact width
    nosso_numero: tuple[Part, ...]  # how the nosso número is formed (printed on the boleto, sent in the remessa)
    campo_livre: tuple[Part, ...]   # how the 25 digits are formed


# Order matters only for readability: a bank + carteira + parameter widths selects exactly one row.
LAYOUTS: tuple[CampoLivreLayout, ...] = (
    # Banco do Brasil, convênio de 7 posições (carteiras 17/18): nosso número = convênio(7) + sequencial(10),
    # no DV; campo livre = "000000" + nosso número(17) + carteira(2).
    CampoLivreLayout(
        key="bb_convenio_7", bank_code="001", description="Banco do Brasil, convênio de 7 posições",
        carteiras=frozenset({"17", "18"}),
        params=(param("convenio", 7), param("carteira", 2)),
        nosso_numero=(param("convenio", 7), seq(10)),
        campo_livre=(lit("000000"), nn(17), param("carteira", 2)),
    ),
    # Banco do Brasil, convênio de 8 posições: nosso número = convênio(8) + sequencial(9).
    CampoLivreLayout(
        key="bb_convenio_8", bank_code="001", description="Banco do Brasil, convênio de 8 posições",
        carteiras=frozenset({"17", "18"}),
        params=(param("convenio", 8), param("carteira", 2)),
        nosso_numero=(param("convenio", 8), seq(9)),
        campo_livre=(lit("000000"), nn(17), param("carteira", 2)),
    ),
)


def _check_layout_table(layouts: tuple[CampoLivreLayout, ...]) -> None:
    for layout in layouts:
        nn_width = sum(p.width for p in layout.nosso_numero)
        for part in layout.campo_livre:
            if part.source == "nosso_numero" and part.width != nn_width:
                raise ValueError(f"layout {layout.key}: nosso número is {nn_width} digits, campo livre reserves {part.width}")
        if sum(p.width for p in layout.campo_livre) != 25:
            raise ValueError(f"layout {layout.key}: campo livre is not 25 digits")


_check_layout_table(LAYOUTS)


def layout_fits(layout: CampoLivreLayout, params: Mapping[str, str]) -> bool:
    """The parameters have the layout's exact widths and one of its carteiras."""
    return (all(len(str(params.get(p.name, ""))) == p.width for p in layout.params)
            and str(params.get("carteira", "")) in layout.carteiras)


def layouts_of_bank(bank_code: str, carteira: str | None = None) -> tuple[CampoLivreLayout, ...]:
    """The layout rows of a bank (those that take the carteira, when one is given)."""
    return tuple(lay for lay in LAYOUTS
                 if lay.bank_code == bank_code and (carteira is None or carteira in lay.carteiras))


def find_layout(bank_code: str, params: Mapping[str, str]) -> CampoLivreLayout:
    """The one layout row for this bank whose parameters (exact widths) and carteira match."""
    for layout in layouts_of_bank(bank_code):
        if layout_fits(layout, params):
            return layout
    known = ", ".join(f"{lay.key} ({lay.bank_code}, carteiras {'/'.join(sorted(lay.carteiras))})" for lay in LAYOUTS)
    raise UnknownLayoutError(f"No campo livre layout for bank {bank_code} with these parameters; known: {known}.",
                             [FieldError("bank_code", "has no layout matching the parameters")])


def _part_value(part: Part, params: Mapping[str, str], sequencia: str, nosso_numero: str) -> str:
    if part.source == "literal":
        return part.name
    if part.source == "param":
        value = str(params[part.name])
    elif part.source == "sequencia":
        if len(sequencia) > part.width:
            raise LayoutParameterError(f"The nosso número sequence has more than {part.width} digits.",
                                       [FieldError("nosso_numero", f"must have at most {part.width} digits")])
        value = sequencia.rjust(part.width, "0")
    else:
        value = nosso_numero
    if len(value) != part.width or not _DIGITS.match(value):
        raise LayoutParameterError(f"{part.name or part.source} must be {part.width} digits.",
                                   [FieldError(part.name or part.source, f"must be {part.width} digits")])
    return value


def format_nosso_numero(layout: CampoLivreLayout, params: Mapping[str, str], sequencia: str | int) -> str:
    """The nosso número as the layout prints it, from the caller's sequence number."""
    seq_digits = str(sequencia)
    if not _DIGITS.match(seq_digits):
        raise LayoutParameterError("The nosso número sequence must be digits.",
                                   [FieldError("nosso_numero", "must be digits")])
    return "".join(_part_value(p, params, seq_digits, "") for p in layout.nosso_numero)


def build_campo_livre(layout: CampoLivreLayout, params: Mapping[str, str], nosso_numero: str) -> str:
    """The 25-digit campo livre from the layout, its parameters and the formatted nosso número."""
    return "".join(_part_value(p, params, "", nosso_numero) for p in layout.campo_livre)


def parse_campo_livre(layout: CampoLivreLayout, campo_livre: str) -> dict[str, str]:
    """The parameters and nosso número a campo livre carries, by the layout's parts."""
    if len(campo_livre) != 25 or not _DIGITS.match(campo_livre):
        raise BoletoError("The campo livre must be 25 digits.")
    out: dict[str, str] = {}
    pos = 0
    for part in layout.campo_livre:
        chunk = campo_livre[pos:pos + part.width]
        pos += part.width
        if part.source == "literal" and chunk != part.name:
            raise LayoutParameterError(f"The campo livre does not follow layout {layout.key}.")
        if part.source in ("param", "nosso_numero"):
            out[part.name or part.source] = chunk
    return out


@dataclass(frozen=True)
class Boleto:
    """A boleto's machine-readable identity."""

    barcode: str
    linha_digitavel: str  # 47 digits; `format_linha` gives the printed form
    nosso_numero: str
    layout: str

    @property
    def linha_digitavel_formatada(self) -> str:
        return format_linha(self.linha_digitavel)


def encode(bank_code: str, due_date: date | None, amount_cents: int, params: Mapping[str, str],
           nosso_numero: str | int) -> Boleto:
    """Barcode, linha digitável and formatted nosso número for a boleto.

    `params` holds the layout parameters (e.g. {"convenio": "7777777", "carteira": "18"}); `nosso_numero`
    is the caller's sequence, which the layout pads and combines (e.g. with the convênio).
    """
    layout = find_layout(bank_code, params)
    formatted = format_nosso_numero(layout, params, nosso_numero)
    campo_livre = build_campo_livre(layout, params, formatted)
    barcode = build_barcode(bank_code, fator_vencimento(due_date), amount_cents, campo_livre)
    return Boleto(barcode=barcode, linha_digitavel=barcode_to_linha(barcode), nosso_numero=formatted, layout=layout.key)

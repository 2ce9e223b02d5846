"""Brazilian document and address types, validated at the edge (pure, no I/O)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator
from validate_docbr import CNPJ as _CNPJ
from validate_docbr import CPF as _CPF

from chalicelib.platform.money import Percent

UFS = frozenset(
    "AC AL AM AP BA CE DF ES GO MA MG MS MT PA PB PE PI PR RJ RN RO RR RS SC SE SP TO".split()
)
# IBGE state codes (first two digits of a municipality code, and cUF in the NF-e key).
UF_CODES = {
    "RO": "11", "AC": "12", "AM": "13", "RR": "14", "PA": "15", "AP": "16", "TO": "17",
    "MA": "21", "PI": "22", "CE": "23", "RN": "24", "PB": "25", "PE": "26", "AL": "27", "SE": "28", "BA": "29",
    "MG": "31", "ES": "32", "RJ": "33", "SP": "35", "PR": "41", "SC": "42", "RS": "43",
    "MS": "50", "MT": "51", "GO": "52", "DF": "53",
}
_DIGITS = re.compile(r"^\d+$")
# Free text that ends up in fiscal documents and e-mails: no control characters.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
# Free text that may run over lines (notes, reasons): no control characters but line breaks and tabs.
MULTILINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def is_valid_cpf(value: str) -> bool:
    return len(value) == 11 and bool(_DIGITS.match(value)) and _CPF().validate(value)


def is_valid_cnpj(value: str) -> bool:
    return len(value) == 14 and bool(_DIGITS.match(value)) and _CNPJ().validate(value)


def _cpf(value: str) -> str:
    if not is_valid_cpf(value):
        raise ValueError("must be a valid CPF: 11 digits with correct check digits")
    return value


def _cnpj(value: str) -> str:
    if not is_valid_cnpj(value):
        raise ValueError("must be a valid CNPJ: 14 digits with correct check digits")
    return value


def _document(value: str) -> str:
    if is_valid_cpf(value) or is_valid_cnpj(value):
        return value
    raise ValueError("must be a valid CPF (11 digits) or CNPJ (14 digits) with correct check digits")


def _uf(value: str) -> str:
    if value not in UFS:
        raise ValueError("must be a Brazilian state (UF), two upper-case letters such as SP")
    return value


# Municipalities whose IBGE code does not follow the check digit rule (the NF-e validation manual's list).
IBGE_CODES_WITHOUT_VALID_DV = frozenset({"4305871", "2201919", "2202251", "2201988", "2611533", "3117836",
                                         "3152131", "5203939", "5203962"})


def ibge_check_digit(first_six: str) -> int:
    """IBGE municipality code DV: weights 1,2,1,2,1,2; a two-digit product adds its digits; 10 - sum mod 10."""
    total = 0
    for position, char in enumerate(first_six):
        product = int(char) * (1 if position % 2 == 0 else 2)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def is_valid_ibge_city_code(value: str) -> bool:
    if not (len(value) == 7 and value.isdigit() and value[:2] in UF_CODES.values()):
        return False
    return value in IBGE_CODES_WITHOUT_VALID_DV or int(value[6]) == ibge_check_digit(value[:6])


def _ibge(value: str, info: ValidationInfo) -> str:
    if info.context and info.context.get("stored"):
        return value  # read back from storage: judged when it was written
    if not is_valid_ibge_city_code(value):
        raise ValueError("must be a 7-digit IBGE municipality code with a valid check digit (São Paulo is 3550308)")
    return value


Cpf = Annotated[str, AfterValidator(_cpf)]
Cnpj = Annotated[str, AfterValidator(_cnpj)]
CpfOrCnpj = Annotated[str, AfterValidator(_document)]
Uf = Annotated[str, AfterValidator(_uf)]
Cep = Annotated[str, StringConstraints(pattern=r"^\d{8}$")]
IbgeCityCode = Annotated[str, StringConstraints(pattern=r"^\d{7}$"), AfterValidator(_ibge)]
Text60 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60, pattern=PRINTABLE)]
# The NF-e's xLgr, xBairro and xMun take 2 to 60 characters.
Text2to60 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=60, pattern=PRINTABLE)]


class Address(BaseModel):
    """A Brazilian address as the NF-e needs it."""

    model_config = ConfigDict(extra="forbid")

    street: Text2to60
    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60, pattern=PRINTABLE)]
    complement: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60, pattern=PRINTABLE)] | None = None
    district: Text2to60
    city: Text2to60
    state: Uf
    city_code: IbgeCityCode
    zip: Cep

    @field_validator("city_code")
    @classmethod
    def _city_in_state(cls, value: str, info: ValidationInfo) -> str:
        state = info.data.get("state")
        if state and UF_CODES[state] != value[:2]:
            raise ValueError(f"IBGE code {value} is not a municipality of {state}")
        return value


def document_kind(document: str) -> str:
    return "cpf" if len(document) == 11 else "cnpj"


Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]


# NF-e tax codes a tax profile may name (the emission checks which ones fit the tenant's regime).
Csosn = Literal["101", "102", "103", "300", "400"]
IcmsCst = Literal["00", "40", "41"]
PisCofinsCst = Literal["01", "02", "04", "05", "06", "07", "08", "09", "49", "50", "51", "52", "53", "54", "55",
                       "56", "60", "61", "62", "63", "64", "65", "66", "67", "70", "71", "72", "73", "74", "75",
                       "98", "99"]


class TaxRules(BaseModel):
    """How an NF-e line is taxed: the tenant's (settings `invoicing.tax`) over its regime's default, and a
    product's (`tax`) over the tenant's. Every field is optional: what is left out comes from the level below.

    Simples Nacional uses `csosn` (101 needs `simples_credit_percent`); regime normal uses `icms_cst`
    (00 taxed at `icms_percent` inside the state and `icms_interstate_percent` across states, 40 exempt,
    41 not taxed) and `icms_destination_percent` for the DIFAL. PIS/COFINS CSTs with their rates apply to both."""

    model_config = ConfigDict(extra="forbid")

    csosn: Csosn | None = None
    simples_credit_percent: Percent | None = Field(default=None, description="pCredSN, with CSOSN 101.")
    icms_cst: IcmsCst | None = None
    icms_percent: Percent | None = None
    icms_interstate_percent: Literal[4, 7, 12] | None = None
    icms_destination_percent: Percent | None = None
    pis_cst: PisCofinsCst | None = None
    pis_percent: Percent | None = None
    cofins_cst: PisCofinsCst | None = None
    cofins_percent: Percent | None = None

    def overrides(self) -> dict[str, Decimal | str]:
        """The fields this level sets, by name."""
        return {name: Decimal(value) if isinstance(value, int) else value
                for name, value in self.model_dump(exclude_none=True).items()}


SIMPLES_REGIMES = frozenset({"simples_nacional", "mei"})  # CRT 1 and 4: CSOSN; the others use ICMS CSTs
_ICMS_FIELDS = ("icms_cst", "icms_percent", "icms_interstate_percent", "icms_destination_percent")
_NOT_TAXED_CST = frozenset({"04", "05", "06", "07", "08", "09"})


def tax_rules_problems(tax_regime: str, *levels: TaxRules | None) -> list[tuple[str, str]]:
    """(field, message) for what the last level's rules get wrong once laid over the levels before it
    (the tenant's, then a product's) for a tenant of `tax_regime`; checked when rules are saved, so an
    NF-e is not the first to find out."""
    own = levels[-1].model_dump(exclude_none=True) if levels and levels[-1] is not None else {}
    merged: dict[str, object] = {}
    for level in levels:
        if level is not None:
            merged.update(level.model_dump(exclude_none=True))
    problems = []
    simples = tax_regime in SIMPLES_REGIMES
    for name in own:
        if simples and name in _ICMS_FIELDS:
            problems.append((name, "applies to regime normal; a Simples Nacional tenant's ICMS is its csosn"))
        if not simples and name in ("csosn", "simples_credit_percent"):
            problems.append((name, "applies to Simples Nacional only; this tenant's ICMS is its icms_cst"))
    if simples and merged.get("csosn") == "101" and "simples_credit_percent" not in merged and (
            "csosn" in own or "simples_credit_percent" in own):
        problems.append(("simples_credit_percent", "is required with CSOSN 101 (the credit rate, pCredSN)"))
    if simples and "simples_credit_percent" in own and merged.get("csosn") != "101":
        problems.append(("simples_credit_percent", "goes with CSOSN 101 only"))
    for tax in ("pis", "cofins"):
        if merged.get(f"{tax}_cst") in _NOT_TAXED_CST and merged.get(f"{tax}_percent") and (
                f"{tax}_cst" in own or f"{tax}_percent" in own):
            problems.append((f"{tax}_percent", f"must be left out: CST {merged[f'{tax}_cst']} is not taxed"))
    return problems

"""Brazilian document and address types, validated at the edge (pure, no I/O)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, ValidationInfo, field_validator
from validate_docbr import CNPJ as _CNPJ
from validate_docbr import CPF as _CPF

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


Cpf = Annotated[str, AfterValidator(_cpf)]
Cnpj = Annotated[str, AfterValidator(_cnpj)]
CpfOrCnpj = Annotated[str, AfterValidator(_document)]
Uf = Annotated[str, AfterValidator(_uf)]
Cep = Annotated[str, StringConstraints(pattern=r"^\d{8}$")]
IbgeCityCode = Annotated[str, StringConstraints(pattern=r"^\d{7}$")]
Text60 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60, pattern=PRINTABLE)]
# The NF-e's xLgr, xBairro and xMun take 2 to 60 characters.
Text2to60 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=60, pattern=PRINTABLE)]


class Address(BaseModel):
    """A Brazilian address as the NF-e needs it."""

    model_config = ConfigDict(extra="forbid")

    street: Text2to60
    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    complement: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = None
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

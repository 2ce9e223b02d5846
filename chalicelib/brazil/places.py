"""States (UF) and their IBGE codes, municipality codes, CEP, and the address the NF-e needs."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, ValidationInfo, field_validator

from chalicelib.platform.text import PRINTABLE

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

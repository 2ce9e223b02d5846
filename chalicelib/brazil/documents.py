"""CPF and CNPJ: 11 and 14 digits with their check digits, validated at the edge."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator
from validate_docbr import CNPJ as _CNPJ
from validate_docbr import CPF as _CPF

_DIGITS = re.compile(r"^\d+$")


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


Cpf = Annotated[str, AfterValidator(_cpf)]
Cnpj = Annotated[str, AfterValidator(_cnpj)]
CpfOrCnpj = Annotated[str, AfterValidator(_document)]


def document_kind(document: str) -> str:
    return "cpf" if len(document) == 11 else "cnpj"


def format_document(document: str) -> str:
    """The printed form of a CPF ('123.456.789-09') or CNPJ ('12.345.678/0001-95'); other strings as they are."""
    if len(document) == 11 and document.isdigit():
        return f"{document[:3]}.{document[3:6]}.{document[6:9]}-{document[9:]}"
    if len(document) == 14 and document.isdigit():
        return f"{document[:2]}.{document[2:5]}.{document[5:8]}/{document[8:12]}-{document[12:]}"
    return document

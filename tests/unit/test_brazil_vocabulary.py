"""Pure rules of the Brazilian vocabulary (`chalicelib.brazil`): CPF and CNPJ, IBGE codes, addresses."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from chalicelib.brazil.documents import CpfOrCnpj, is_valid_cnpj, is_valid_cpf
from chalicelib.brazil.places import Address, is_valid_ibge_city_code


@pytest.mark.parametrize(("value", "ok"), [("11144477735", True), ("11111111111", False), ("1114447773", False),
                                           ("111.444.777-35", False), ("11144477736", False)])
def test_cpf_needs_11_digits_with_check_digits(value, ok):
    assert is_valid_cpf(value) is ok


@pytest.mark.parametrize(("value", "ok"), [("11222333000181", True), ("00000000000000", False),
                                           ("11222333000180", False), ("11.222.333/0001-81", False)])
def test_cnpj_needs_14_digits_with_check_digits(value, ok):
    assert is_valid_cnpj(value) is ok


def test_an_address_city_code_must_belong_to_its_state():
    base = {"street": "Rua A", "number": "1", "district": "Centro", "city": "Rio de Janeiro",
            "city_code": "3304557", "state": "RJ", "zip": "20010000"}
    assert Address.model_validate(base).state == "RJ"
    with pytest.raises(ValidationError) as err:
        Address.model_validate({**base, "state": "SP"})
    assert err.value.errors()[0]["loc"] == ("city_code",)
    for field, bad in (("zip", "2001000"), ("state", "XX"), ("city_code", "330455"), ("street", "R"),
                       ("district", "C")):  # the NF-e's xLgr and xBairro take 2..60 characters
        with pytest.raises(ValidationError):
            Address.model_validate({**base, field: bad})


@pytest.mark.parametrize(("code", "ok"), [
    ("3550308", True), ("3304557", True), ("5300108", True), ("4106902", True), ("1100015", True),
    ("2927408", True), ("2201919", True), ("5203962", True),  # the last two: listed without a valid DV
    ("3550309", False), ("3304550", False), ("9900001", False), ("0000000", False),
])
def test_an_ibge_city_code_has_a_check_digit(code, ok):
    assert is_valid_ibge_city_code(code) is ok


def test_a_document_is_a_cpf_or_a_cnpj():
    class Doc(BaseModel):
        document: CpfOrCnpj

    assert Doc(document="11144477735").document == "11144477735"
    assert Doc(document="11222333000181").document == "11222333000181"
    with pytest.raises(ValidationError):
        Doc(document="123")

"""Pure catalog rules: SKUs, GTIN check digits, documents."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from chalicelib.catalog.model import Gtin, document_type
from chalicelib.stock.model import Sku, is_sku


@pytest.mark.parametrize("sku", ["A", "CAFE-500G", "x.y_z-1", "9" * 40])
def test_a_sku_is_letters_digits_and_dot_dash_underscore(sku):
    assert is_sku(sku) and TypeAdapter(Sku).validate_python(sku) == sku


@pytest.mark.parametrize("sku", ["", "-A", "A#B", "A/B", "A B", "9" * 41, "movements", "MOVEMENTS"])
def test_a_sku_that_could_break_a_key_or_a_path_is_refused(sku):
    assert not is_sku(sku)
    with pytest.raises(ValidationError):
        TypeAdapter(Sku).validate_python(sku)


@pytest.mark.parametrize("gtin", ["7891000315507", "96385074", "036000291452", "17891000315504", "SEM GTIN"])
def test_a_gtin_with_a_right_check_digit_passes(gtin):
    assert TypeAdapter(Gtin).validate_python(gtin) == gtin


@pytest.mark.parametrize("gtin", ["7891000315508", "1234567", "789100031550X", "sem gtin"])
def test_a_gtin_with_a_wrong_check_digit_or_length_fails(gtin):
    with pytest.raises(ValidationError):
        TypeAdapter(Gtin).validate_python(gtin)


def test_the_document_type_follows_its_length():
    assert (document_type("52998224725"), document_type("45723174000110")) == ("cpf", "cnpj")

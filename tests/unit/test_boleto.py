"""Boleto rules: check digits, fator de vencimento, layouts, barcode <-> linha digitável."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.collections import boleto
from chalicelib.collections.boleto import (
    AmountOutOfRangeError,
    BarcodeCheckDigitError,
    BarcodeFormatError,
    DueDateOutOfRangeError,
    LayoutParameterError,
    LinhaDigitavelCheckDigitError,
    LinhaDigitavelFormatError,
    UnknownLayoutError,
    UnsupportedCurrencyError,
)
from chalicelib.platform.errors import InvalidRequestError

# Published vectors, Banco do Brasil, carteira 18, R$ 2.952,95, convênio 7777777 / 77777778, sequence 87654:
# - eduardocereto/pyboleto, tests/test_banco_do_brasil.py (due 2011-03-08, convênio of 7 digits);
# - kivanio/brcobranca, spec/brcobranca/boleto/banco_brasil_spec.rb (due 2012-12-28, convênios of 7 and 8 digits).
BB_VECTORS = [
    # (due date, convênio, barcode, printed linha digitável)
    (date(2011, 3, 8), "7777777", "00196490000002952950000007777777000008765418",
     "00190.00009 07777.777009 00087.654182 6 49000000295295"),
    (date(2012, 12, 28), "7777777", "00197556100002952950000007777777000008765418",
     "00190.00009 07777.777009 00087.654182 7 55610000295295"),
    (date(2012, 12, 28), "77777778", "00191556100002952950000007777777800008765418",
     "00190.00009 07777.777801 00087.654182 1 55610000295295"),
]


# --- check digits -------------------------------------------------------------------------------

@pytest.mark.parametrize(("due", "convenio", "barcode", "linha"), BB_VECTORS)
def test_dv_geral_matches_published_barcodes(due, convenio, barcode, linha):
    assert boleto.dv_mod11_barcode(barcode[:4] + barcode[5:]) == int(barcode[4])


@pytest.mark.parametrize(("due", "convenio", "barcode", "linha"), BB_VECTORS)
def test_each_linha_field_dv10_matches_published_linhas(due, convenio, barcode, linha):
    d = boleto.normalize_linha(linha)
    for body, dv in ((d[0:9], d[9]), (d[10:20], d[20]), (d[21:31], d[31])):
        assert boleto.dv_mod10(body) == int(dv)


def test_dv_geral_becomes_1_when_the_modulo_gives_0_10_or_11():
    # Search a body for each case: 11 - (s % 11) in {11, 10} happens for s % 11 in {0, 1}.
    seen = set()
    for n in range(200):
        body = f"{n:043d}"
        total = sum(int(ch) * (2 + i % 8) for i, ch in enumerate(reversed(body)))
        raw = 11 - total % 11
        if raw in (10, 11):
            seen.add(raw)
            assert boleto.dv_mod11_barcode(body) == 1
    assert seen == {10, 11}


def test_dv10_sums_the_digits_of_two_digit_products():
    # 9 at weight 2 gives 18 -> 1 + 8 = 9; (10 - 9) % 10 = 1.
    assert boleto.dv_mod10("9") == 1
    assert boleto.dv_mod10("0") == 0


# --- fator de vencimento ------------------------------------------------------------------------

# FEBRABAN: days since 1997-10-07; 1000 on 2000-07-03; 9999 on 2025-02-21; 1000 again on 2025-02-22
# (FEBRABAN notice as reported e.g. by blog.sarks.com.br 2025-02-24 and carmonatec.com.br 2025-02-07;
# vladetec/fator-vencimento-boleto-2025 README: 22/02/2025 -> 1000, 23/02/2025 -> 1001).
FATOR_VECTORS = [
    (date(2000, 7, 3), "1000"),
    (date(2011, 3, 8), "4900"),   # pyboleto vector above
    (date(2012, 12, 28), "5561"),  # brcobranca vector above
    (date(2025, 2, 21), "9999"),
    (date(2025, 2, 22), "1000"),
    (date(2025, 2, 23), "1001"),
    (date(2049, 10, 13), "9999"),
    (date(2049, 10, 14), "1000"),
]


@pytest.mark.parametrize(("due", "fator"), FATOR_VECTORS)
def test_fator_de_vencimento_counts_days_and_restarts_at_1000_after_9999(due, fator):
    assert boleto.fator_vencimento(due) == fator


@pytest.mark.parametrize(("due", "fator"), FATOR_VECTORS)
def test_a_fator_decodes_to_the_date_nearest_the_reference(due, fator):
    assert boleto.due_date_from_fator(fator, due + timedelta(days=30)) == due
    assert boleto.due_date_from_fator(fator, due - timedelta(days=4000)) == due


def test_the_same_fator_means_2011_before_the_reset_and_2035_after_it():
    assert boleto.due_date_from_fator("4900", date(2011, 1, 1)) == date(2011, 3, 8)
    assert boleto.due_date_from_fator("4900", date(2026, 1, 1)) == date(2035, 10, 28)


def test_a_reference_before_2000_still_decodes_to_the_first_cycle():
    assert boleto.due_date_from_fator("1000", date(1990, 1, 1)) == date(2000, 7, 3)


def test_fator_0000_means_no_due_date():
    assert boleto.fator_vencimento(None) == "0000"
    assert boleto.due_date_from_fator("0000", date(2026, 1, 1)) is None


def test_a_due_date_before_2000_07_03_has_no_fator():
    with pytest.raises(DueDateOutOfRangeError):
        boleto.fator_vencimento(date(2000, 7, 2))


def test_a_fator_between_0001_and_0999_is_rejected():
    with pytest.raises(InvalidRequestError):
        boleto.due_date_from_fator("0999", date(2026, 1, 1))


# --- encode / decode against published vectors --------------------------------------------------

@pytest.mark.parametrize(("due", "convenio", "barcode", "linha"), BB_VECTORS)
def test_banco_do_brasil_layout_reproduces_published_boletos(due, convenio, barcode, linha):
    result = boleto.encode("001", due, 295295, {"convenio": convenio, "carteira": "18"}, 87654)
    assert result.barcode == barcode
    assert result.linha_digitavel_formatada == linha
    assert result.nosso_numero == (convenio + "87654".rjust(17 - len(convenio), "0"))


@pytest.mark.parametrize(("due", "convenio", "barcode", "linha"), BB_VECTORS)
def test_barcode_and_linha_convert_both_ways(due, convenio, barcode, linha):
    assert boleto.barcode_to_linha(barcode) == boleto.normalize_linha(linha)
    assert boleto.linha_to_barcode(linha) == barcode


@pytest.mark.parametrize(("due", "convenio", "barcode", "linha"), BB_VECTORS)
def test_decoding_a_published_barcode_gives_bank_amount_and_due_date(due, convenio, barcode, linha):
    bank, amount, due_date = boleto.decode_barcode(barcode, today=due - timedelta(days=10))
    assert (bank, amount, due_date) == ("001", 295295, due)
    assert boleto.decode_linha(linha, today=due).due_date == due


def test_the_first_layout_row_is_banco_do_brasil_convenio_7_carteira_17():
    first = boleto.LAYOUTS[0]
    assert (first.bank_code, first.key) == ("001", "bb_convenio_7")
    assert "17" in first.carteiras
    result = boleto.encode("001", date(2026, 3, 10), 1050, {"convenio": "1234567", "carteira": "17"}, 42)
    assert result.nosso_numero == "12345670000000042"
    assert boleto.campo_livre_of(result.barcode) == "000000" + "12345670000000042" + "17"
    layout = boleto.find_layout("001", {"convenio": "1234567", "carteira": "17"})
    assert boleto.parse_campo_livre(layout, boleto.campo_livre_of(result.barcode)) == {
        "nosso_numero": "12345670000000042", "carteira": "17"}


def test_every_layout_row_fills_exactly_25_digits():
    for layout in boleto.LAYOUTS:
        assert sum(part.width for part in layout.campo_livre) == 25, layout.key


def test_an_unknown_bank_or_carteira_has_no_layout():
    with pytest.raises(UnknownLayoutError):
        boleto.encode("237", date(2026, 3, 10), 100, {"convenio": "1234567", "carteira": "17"}, 1)
    with pytest.raises(UnknownLayoutError):
        boleto.encode("001", date(2026, 3, 10), 100, {"convenio": "1234567", "carteira": "99"}, 1)


def test_a_nosso_numero_longer_than_the_layout_allows_is_rejected():
    with pytest.raises(LayoutParameterError):
        boleto.encode("001", date(2026, 3, 10), 100, {"convenio": "1234567", "carteira": "17"}, 12345678901)


# --- amounts ------------------------------------------------------------------------------------

def test_the_amount_is_ten_digits_of_centavos_up_to_99_999_999_99():
    params = {"convenio": "1234567", "carteira": "17"}
    top = boleto.encode("001", date(2026, 3, 10), 9_999_999_999, params, 1)
    assert top.barcode[9:19] == "9999999999"
    with pytest.raises(AmountOutOfRangeError):
        boleto.encode("001", date(2026, 3, 10), 10_000_000_000, params, 1)
    with pytest.raises(AmountOutOfRangeError):
        boleto.encode("001", date(2026, 3, 10), -1, params, 1)


# --- validation errors --------------------------------------------------------------------------

def test_a_linha_with_a_wrong_field_dv_names_that_field():
    linha = boleto.normalize_linha(BB_VECTORS[0][3])
    broken = linha[:20] + str((int(linha[20]) + 1) % 10) + linha[21:]
    with pytest.raises(LinhaDigitavelCheckDigitError) as caught:
        boleto.validate_linha(broken)
    assert caught.value.fields == ("campo2",)
    assert caught.value.errors[0].field == "linha_digitavel.campo2"


def test_a_linha_with_a_mistyped_digit_fails_its_field_and_the_dv_geral():
    linha = boleto.normalize_linha(BB_VECTORS[0][3])
    broken = linha[:12] + str((int(linha[12]) + 1) % 10) + linha[13:]
    with pytest.raises(LinhaDigitavelCheckDigitError) as caught:
        boleto.validate_linha(broken)
    assert caught.value.fields == ("campo2", "dv_geral")


def test_a_linha_of_the_wrong_length_is_a_format_error():
    with pytest.raises(LinhaDigitavelFormatError):
        boleto.validate_linha("00190.00009 07777.777009")
    with pytest.raises(LinhaDigitavelFormatError):
        boleto.validate_linha("0019x" + "0" * 42)


def test_a_barcode_with_a_wrong_dv_geral_is_rejected():
    barcode = BB_VECTORS[0][2]
    broken = barcode[:4] + str((int(barcode[4]) % 9) + 1) + barcode[5:]
    with pytest.raises(BarcodeCheckDigitError):
        boleto.decode_barcode(broken, date(2011, 3, 1))
    with pytest.raises(BarcodeFormatError):
        boleto.decode_barcode(barcode[:-1], date(2011, 3, 1))


def test_a_barcode_in_another_currency_is_not_decoded():
    body = "0010" + "4900" + "0000295295" + "0000007777777000008765418"
    dv = boleto.dv_mod11_barcode(body)
    with pytest.raises(UnsupportedCurrencyError):
        boleto.decode_barcode(body[:4] + str(dv) + body[4:], date(2011, 3, 1))


# --- properties ---------------------------------------------------------------------------------

@settings(max_examples=50, deadline=None)
@given(
    due=st.dates(min_value=date(2000, 7, 3), max_value=date(2060, 12, 31)),
    amount=st.integers(min_value=0, max_value=boleto.MAX_AMOUNT_CENTS),
    convenio=st.from_regex(r"^[0-9]{7}$", fullmatch=True),
    carteira=st.sampled_from(["17", "18"]),
    sequencia=st.integers(min_value=0, max_value=9_999_999_999),
    offset=st.integers(min_value=-4000, max_value=4000),
)
def test_encode_then_decode_gives_the_same_bank_amount_and_due_date(due, amount, convenio, carteira, sequencia, offset):
    # GIVEN a boleto, WHEN it is decoded on any day within ~11 years of its due date
    result = boleto.encode("001", due, amount, {"convenio": convenio, "carteira": carteira}, sequencia)
    today = due + timedelta(days=offset)
    # THEN barcode and linha agree and both give back what went in
    assert boleto.decode_barcode(result.barcode, today) == ("001", amount, due)
    assert boleto.linha_to_barcode(result.linha_digitavel) == result.barcode
    assert boleto.barcode_to_linha(result.barcode) == result.linha_digitavel
    layout = boleto.find_layout("001", {"convenio": convenio, "carteira": carteira})
    assert boleto.parse_campo_livre(layout, boleto.campo_livre_of(result.barcode))["nosso_numero"] == result.nosso_numero


@settings(max_examples=50, deadline=None)
@given(body=st.from_regex(r"^[0-9]{43}$", fullmatch=True), position=st.integers(0, 32), delta=st.integers(1, 9))
def test_any_single_mistyped_digit_in_fields_1_to_4_is_caught(body, position, delta):
    # Fields 1-3 carry a Luhn DV10, which catches every single-digit error. Field 5 (fator + valor) relies on
    # the DV geral alone, and its 0/10/11 -> 1 rule lets some single-digit errors through: not asserted here.
    barcode = body[:4] + str(boleto.dv_mod11_barcode(body)) + body[4:]
    linha = boleto.barcode_to_linha(barcode)
    typo = linha[:position] + str((int(linha[position]) + delta) % 10) + linha[position + 1:]
    with pytest.raises(LinhaDigitavelCheckDigitError):
        boleto.validate_linha(typo)

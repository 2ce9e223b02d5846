"""The codes a company pays with, pure: arrecadação (utilities, taxes) from its 48-digit linha or 44-digit
barcode against published codes, its modulo 10 and 11, bank boletos through collections' decoder, and a
wrong digit anywhere named by field."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.collections import boleto
from chalicelib.payables.documents import PaymentCodeError, arrecadacao_from_barcode, decode, mod10, mod11

TODAY = date(2026, 12, 3)
# Published bills: an energy bill (segment 3, R$ 66,78) and a telecom bill (segment 4, R$ 143,59), modulo 10.
ENERGY = "836200000005 667800481000 180975657313 001589636081"
TELECOM = "84670000001-7 43590024020-9 02405000243-5 84221010811-9"


def test_published_utility_bills_decode_to_their_amounts():
    energy = decode(ENERGY, None, TODAY)
    assert (energy.kind, energy.amount_cents, energy.segment, energy.company, energy.due_date) == (
        "arrecadacao", 6678, "3", "0048", None)
    assert energy.barcode == "83620000000667800481001809756573100158963608"
    assert decode(None, energy.barcode, TODAY) == energy
    telecom = decode(TELECOM, None, TODAY)
    assert (telecom.amount_cents, telecom.segment) == (14359, "4")
    assert telecom.digitable_line == "846700000017435900240209024050002435842210108119"


def test_the_two_modules_by_hand():
    assert mod10("83620000000") == 5 and mod10("0") == 0  # the energy bill's first block
    # 0·4 + 1·3 + 2·2 + 3·9 + 0·8 + 0·7 + 6·6 + 7·5 + 8·4 + 9·3 + 6·2 = 176 = 16·11 → rest 0 → DV 0
    assert mod11("01230067896") == 0
    assert mod11("00000000001") == 9  # 1·2 = 2 → 11 − 2
    assert mod11("00000000005") == 1  # 10 → 11 − 10 = 1


def _with_dv(body43: str) -> str:
    """A barcode from its 43 other digits (digit 3 picks the module)."""
    dv = mod10(body43) if body43[2] in "67" else mod11(body43)
    return body43[:3] + str(dv) + body43[3:]


@given(st.sampled_from("6789"), st.sampled_from("1234567"), st.integers(0, 10**11 - 1), st.text("0123456789", min_size=29,
                                                                                                max_size=29))
def test_any_arrecadacao_code_round_trips_and_any_wrong_digit_is_caught(value_id, segment, cents, rest):
    barcode = _with_dv(f"8{segment}{value_id}{cents:011d}{rest}")
    code = arrecadacao_from_barcode(barcode)
    assert decode(code.digitable_line, None, TODAY) == code
    assert code.amount_cents == (cents or None if value_id in "68" else None)
    for position in (3, 20, 47):  # a DV, a body digit, the last block's DV
        line = code.digitable_line
        wrong = line[:position] + str((int(line[position]) + 1) % 10) + line[position + 1:]
        with pytest.raises(PaymentCodeError) as caught:
            decode(wrong, None, TODAY)
        assert caught.value.errors[0].field == "document.digitable_line"


def test_a_bank_boleto_from_its_linha_or_barcode():
    barcode = boleto.build_barcode("001", boleto.fator_vencimento(date(2026, 12, 20)), 15_000,
                                   "0000001234567000000000117")
    linha = boleto.barcode_to_linha(barcode)
    code = decode(boleto.format_linha(linha), None, TODAY)
    assert (code.kind, code.bank_code, code.amount_cents, code.due_date) == ("bank_boleto", "001", 15_000,
                                                                              date(2026, 12, 20))
    assert decode(None, barcode, TODAY) == code
    wrong = linha[:9] + str((int(linha[9]) + 1) % 10) + linha[10:]
    with pytest.raises(PaymentCodeError) as caught:
        decode(wrong, None, TODAY)
    assert caught.value.errors[0].field == "document.digitable_line"


@pytest.mark.parametrize("line, barcode, field", [
    ("1234", None, "document.digitable_line"), ("8" * 47, None, "document.digitable_line"),
    ("abc", None, "document.digitable_line"), (None, "123", "document.barcode"),
    (None, "85" + "0" * 42, "document.barcode"), (None, None, "document"),
])
def test_malformed_codes_are_400_naming_the_field(line, barcode, field):
    with pytest.raises(PaymentCodeError) as caught:
        decode(line, barcode, TODAY)
    assert caught.value.errors[0].field == field


def test_a_pix_brcode_gives_the_payee_and_the_amount_and_a_broken_crc_is_400():
    from chalicelib.collections import pix
    from chalicelib.payables.documents import from_pix

    payload = pix.build_brcode(name="Fornecedor Exemplo", city="São Paulo", key="11222333000181",
                               amount_cents=25_990, txid="NF12345")
    code = from_pix(payload)
    assert (code.kind, code.amount_cents, code.pix_key, code.payee_name, code.txid) == (
        "pix", 25_990, "11222333000181", "Fornecedor Exemplo", "NF12345")
    with pytest.raises(PaymentCodeError) as caught:
        from_pix(payload[:-1] + ("0" if payload[-1] != "0" else "1"))
    assert caught.value.errors[0].field == "document.pix_brcode"

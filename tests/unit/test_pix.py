"""Pix rules: BR Code TLV and CRC, the parser, txids, Pix keys, the QR image."""

from __future__ import annotations

import struct

import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.collections import pix
from chalicelib.collections.pix import (
    BrCodeCrcError,
    BrCodeFormatError,
    InvalidPixKeyError,
    InvalidTxidError,
    PixError,
    PixKeyType,
)

# Static BR Code example of the BCB "Manual de Padrões para Iniciação do Pix" (EVP key, no amount), as
# reproduced verbatim by e.g. ACBr's TTestQRCodeEstatico and the pix-payload npm README.
BCB_STATIC_EXAMPLE = ("00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR"
                      "5913Fulano de Tal6008BRASILIA62070503***63041D3D")
# Dynamic example (manual section 6.2, location URL) as transcribed in gist matheusb-comp/1efa205b3c0ffd7af1e8ce63a10e02dc.
BCB_DYNAMIC_EXAMPLE = ("00020101021226770014BR.GOV.BCB.PIX2555pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a99"
                       "5204000053039865802BR5907EMPRESA6009SAO PAULO62070503***6304EEAB")
# Static example (manual section 6.1) from the same gist: its CRC 170E is right for the text, but field 62
# declares 8 characters for a 7-character value ("0503***"), so it is not a well-formed BR Code.
GIST_STATIC_MISDECLARED = ("00020126360014BR.GOV.BCB.PIX0114+551194321432152040000530398654056"
                           "6.665802BR5907EMPRESA6008BRASILIA62080503***6304170E")


# --- CRC ----------------------------------------------------------------------------------------

def test_crc16_ccitt_false_matches_the_catalogue_check_value():
    # reveng CRC catalogue, CRC-16/IBM-3740 (alias CCITT-FALSE): check("123456789") = 0x29B1.
    assert pix.crc16_ccitt_false("123456789") == 0x29B1
    assert pix.crc16_ccitt_false(b"") == 0xFFFF


@pytest.mark.parametrize("payload", [BCB_STATIC_EXAMPLE, BCB_DYNAMIC_EXAMPLE, GIST_STATIC_MISDECLARED])
def test_the_crc_covers_everything_up_to_and_including_6304(payload):
    assert pix.crc_hex(payload[:-4]) == payload[-4:]


# --- build --------------------------------------------------------------------------------------

def test_a_static_brcode_reproduces_the_bcb_manual_example():
    built = pix.build_brcode(key="123e4567-e12b-12d1-a456-426655440000", name="Fulano de Tal", city="BRASILIA")
    assert built == BCB_STATIC_EXAMPLE


def test_a_dynamic_brcode_carries_the_location_and_single_use_and_no_txid():
    built = pix.build_brcode(location="pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a99",
                             name="EMPRESA", city="São Paulo")
    # Same fields as the manual's dynamic example; only the GUI's case (and so the CRC) differs.
    assert built[:-4].replace(pix.GUI_PIX, "BR.GOV.BCB.PIX") == BCB_DYNAMIC_EXAMPLE[:-4]
    assert pix.parse_brcode(built).single_use


def test_the_amount_is_written_from_centavos_with_a_dot_and_omitted_when_zero():
    with_amount = pix.build_brcode(key="loja@example.com", name="Loja", city="Recife", amount_cents=1050)
    assert "540510.50" in with_amount
    assert "5405" not in pix.build_brcode(key="loja@example.com", name="Loja", city="Recife", amount_cents=0)
    assert "54" not in pix.parse_brcode(pix.build_brcode(key="loja@example.com", name="Loja", city="Recife")).fields


def test_name_and_city_lose_accents_and_are_cut_to_25_and_15_characters():
    code = pix.build_brcode(key="loja@example.com", name="Lucas Dantas de Oliveira Souza Lima",
                            city="São Gonçalo do Rio Abaixo")
    parsed = pix.parse_brcode(code)
    assert parsed.name == "Lucas Dantas de Oliveira"  # 25 characters with a trailing space, which is dropped
    assert parsed.city == "SAO GONCALO DO"
    assert code.isascii()


def test_a_static_txid_goes_in_62_05_and_must_fit_25_characters():
    code = pix.build_brcode(key="loja@example.com", name="Loja", city="Recife", txid="pedido123")
    assert "62130509pedido123" in code
    with pytest.raises(InvalidTxidError):
        pix.build_brcode(key="loja@example.com", name="Loja", city="Recife", txid="a" * 26)
    with pytest.raises(InvalidTxidError):
        pix.build_brcode(key="loja@example.com", name="Loja", city="Recife", txid="pedido-123")


def test_a_brcode_has_exactly_one_of_key_or_location():
    with pytest.raises(PixError):
        pix.build_brcode(name="Loja", city="Recife")
    with pytest.raises(PixError):
        pix.build_brcode(key="loja@example.com", location="pix.example.com/qr/1", name="Loja", city="Recife")


def test_a_location_goes_without_its_scheme():
    with pytest.raises(PixError):
        pix.build_brcode(location="https://pix.example.com/qr/1", name="Loja", city="Recife")


def test_an_invalid_key_cannot_make_a_brcode():
    with pytest.raises(InvalidPixKeyError):
        pix.build_brcode(key="12345678900", name="Loja", city="Recife")


# --- parse --------------------------------------------------------------------------------------

def test_parsing_the_bcb_static_example_gives_its_fields():
    parsed = pix.parse_brcode(BCB_STATIC_EXAMPLE)
    assert (parsed.payload_format, parsed.key, parsed.name, parsed.city) == (
        "01", "123e4567-e12b-12d1-a456-426655440000", "Fulano de Tal", "BRASILIA")
    assert (parsed.mcc, parsed.currency, parsed.country, parsed.amount_cents, parsed.txid) == ("0000", "986", "BR", None, None)
    assert not parsed.single_use


def test_parsing_the_bcb_dynamic_example_accepts_an_upper_case_gui():
    parsed = pix.parse_brcode(BCB_DYNAMIC_EXAMPLE)
    assert parsed.location == "pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a99"
    assert parsed.key is None and parsed.single_use and parsed.city == "SAO PAULO"


def test_a_wrong_crc_is_rejected():
    with pytest.raises(BrCodeCrcError):
        pix.parse_brcode(BCB_STATIC_EXAMPLE[:-4] + "1D3E")


def test_a_field_whose_declared_length_is_wrong_is_rejected_even_with_a_valid_crc():
    with pytest.raises(BrCodeFormatError):
        pix.parse_brcode(GIST_STATIC_MISDECLARED)


def test_a_brcode_without_the_pix_merchant_account_is_rejected():
    body = "000201" + "52040000" + "5303986" + "5802BR" + "5904Loja" + "6006RECIFE" + "6304"
    with pytest.raises(BrCodeFormatError):
        pix.parse_brcode(body + pix.crc_hex(body))


@pytest.mark.parametrize(("text", "cents"), [("10.50", 1050), ("10.5", 1050), ("10", 1000), ("0.01", 1)])
def test_amounts_read_back_to_centavos(text, cents):
    assert pix.parse_amount(text) == cents


@pytest.mark.parametrize("text", ["10,50", "1e3", "-1.00", "10.505", ""])
def test_malformed_amounts_are_rejected(text):
    with pytest.raises(BrCodeFormatError):
        pix.parse_amount(text)


# --- keys ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "kind"), [
    ("52998224725", PixKeyType.CPF),
    ("11222333000181", PixKeyType.CNPJ),
    ("fulano@example.com.br", PixKeyType.EMAIL),
    ("+5511987654321", PixKeyType.PHONE),
    ("+551133334444", PixKeyType.PHONE),
    ("123e4567-e12b-12d1-a456-426655440000", PixKeyType.EVP),
])
def test_each_kind_of_pix_key_is_recognized(key, kind):
    assert pix.validate_pix_key(key) is kind


@pytest.mark.parametrize("key", [
    "52998224724",            # CPF with a wrong check digit
    "11111111111",            # all-same digits
    "11222333000180",         # CNPJ with a wrong check digit
    "5511987654321",          # phone without "+"
    "+15551234567",           # not +55
    "+55119876543",           # too short
    "Fulano@Example.com",     # e-mail keys are lower case
    "a" * 70 + "@example.com",  # over 77 characters
    "123E4567-E12B-12D1-A456-426655440000",  # EVPs are lower case
    "",
])
def test_malformed_pix_keys_are_rejected(key):
    with pytest.raises(InvalidPixKeyError):
        pix.validate_pix_key(key)


# --- txid ---------------------------------------------------------------------------------------

def test_new_txids_are_26_to_35_letters_and_digits_and_unique():
    txids = {pix.new_txid() for _ in range(200)}
    assert len(txids) == 200
    assert all(pix.is_valid_txid(t) for t in txids)


def test_a_txid_derived_from_a_charge_id_maps_back_to_it():
    assert pix.txid_from_id("chg_01JBENCHBENCHBENCHBENCHBEN") == "chg01JBENCHBENCHBENCHBENCHBEN"


@pytest.mark.parametrize(("txid", "valid"), [("a" * 25, False), ("a" * 26, True), ("a" * 35, True), ("a" * 36, False),
                                              ("abc-" + "a" * 26, False)])
def test_a_cobranca_txid_has_26_to_35_letters_and_digits(txid, valid):
    assert pix.is_valid_txid(txid) is valid


def test_a_static_txid_has_at_most_25_characters_or_is_three_asterisks():
    assert pix.is_valid_static_txid("***")
    assert pix.is_valid_static_txid(pix.new_static_txid())
    assert not pix.is_valid_static_txid("a" * 26)


# --- QR -----------------------------------------------------------------------------------------

def test_the_qr_png_encodes_the_payload_at_error_level_m():
    png = pix.qrcode_png(BCB_STATIC_EXAMPLE)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    qr = segno.make_qr(BCB_STATIC_EXAMPLE, error="m", boost_error=False)
    assert qr.error == "M"
    assert width == height == (qr.symbol_size(scale=1, border=pix.QR_BORDER)[0]) * pix.QR_SCALE


# --- properties ---------------------------------------------------------------------------------

_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x17F, blacklist_categories=("Cs",)),
                min_size=1, max_size=40).filter(lambda s: pix.ascii_text(s) != "")
_keys = st.sampled_from(["52998224725", "11222333000181", "fulano@example.com.br", "+5511987654321",
                         "123e4567-e12b-12d1-a456-426655440000"])


@settings(max_examples=50, deadline=None)
@given(key=_keys, name=_text, city=_text, amount=st.one_of(st.none(), st.integers(1, pix.MAX_AMOUNT_CENTS)),
       txid=st.one_of(st.none(), st.from_regex(r"^[a-zA-Z0-9]{1,25}$", fullmatch=True)),
       description=st.one_of(st.none(), _text))
def test_build_then_parse_gives_the_same_fields_and_a_valid_crc(key, name, city, amount, txid, description):
    code = pix.build_brcode(key=key, name=name, city=city, amount_cents=amount, txid=txid, description=description)
    parsed = pix.parse_brcode(code)  # raises on a bad CRC or malformed TLV
    assert parsed.crc == pix.crc_hex(code[:-4])
    assert (parsed.key, parsed.amount_cents, parsed.txid) == (key, amount, txid)
    assert parsed.name == pix.normalize_name(name) and len(parsed.name) <= 25
    assert parsed.city == pix.normalize_city(city) and len(parsed.city) <= 15
    assert (parsed.currency, parsed.country, parsed.payload_format) == ("986", "BR", "01")


@settings(max_examples=50, deadline=None)
@given(path=st.from_regex(r"^[a-z0-9]{1,20}\.example\.com/qr/v2/[a-zA-Z0-9]{1,40}$", fullmatch=True),
       name=_text, city=_text)
def test_a_dynamic_brcode_round_trips_its_location(path, name, city):
    parsed = pix.parse_brcode(pix.build_brcode(location=path, name=name, city=city))
    assert parsed.location == path and parsed.single_use and parsed.txid is None

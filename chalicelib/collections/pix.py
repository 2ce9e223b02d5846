"""Pix: BR Code (EMV MPM) payloads, their parser, txids, Pix keys and the QR code image.

The payload is ASCII: name, city and free text lose their accents, so a length counted in characters
is also a length in bytes and the CRC runs over the same thing every reader sees.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from uuid import uuid4

from ulid import ULID

from chalicelib.brazil.documents import is_valid_cnpj, is_valid_cpf
from chalicelib.platform.errors import FieldError, InvalidRequestError

GUI_PIX = "br.gov.bcb.pix"
MCC_NOT_INFORMED = "0000"
CURRENCY_BRL = "986"
COUNTRY_BR = "BR"
NO_TXID = "***"
MAX_NAME, MAX_CITY = 25, 15
MAX_STATIC_TXID = 25
MIN_TXID, MAX_TXID = 26, 35
MAX_AMOUNT_CENTS = 99_999_999_999  # "54" holds at most 13 characters: 999999999.99

# Top-level ids (EMV MPM as profiled by the BCB manual).
ID_PAYLOAD_FORMAT, ID_INITIATION, ID_MERCHANT_ACCOUNT = "00", "01", "26"
ID_MCC, ID_CURRENCY, ID_AMOUNT, ID_COUNTRY = "52", "53", "54", "58"
ID_NAME, ID_CITY, ID_ADDITIONAL, ID_CRC = "59", "60", "62", "63"
# Inside "26": GUI, chave, free text to the payer, location URL. Inside "62": reference label (txid).
SUB_GUI, SUB_KEY, SUB_INFO, SUB_URL, SUB_TXID = "00", "01", "02", "25", "05"
INITIATION_SINGLE_USE = "12"

_TXID = re.compile(r"^[a-zA-Z0-9]{26,35}$")
_STATIC_TXID = re.compile(r"^[a-zA-Z0-9]{1,25}$")
_EMAIL = re.compile(
    r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$"
)
_PHONE = re.compile(r"^\+55[1-9]{2}\d{8,9}$")
_EVP = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_AMOUNT = re.compile(r"^\d{1,10}(\.\d{1,2})?$")
_CRC = re.compile(r"^[0-9A-F]{4}$")


# --- errors -------------------------------------------------------------------------------------

class PixError(InvalidRequestError):
    """A Pix payload, key or txid is not valid."""

    code = "invalid_pix"


class InvalidPixKeyError(PixError):
    """The chave is not a CPF, CNPJ, e-mail, +55 phone or EVP in the DICT's format."""

    code = "invalid_pix_key"


class InvalidTxidError(PixError):
    """The txid does not follow [a-zA-Z0-9]{26,35} (cobrança) or [a-zA-Z0-9]{1,25} (static QR)."""

    code = "invalid_pix_txid"


class BrCodeFormatError(PixError):
    """The BR Code is not a well-formed TLV sequence with the mandatory Pix fields."""

    code = "invalid_brcode_format"


class BrCodeCrcError(PixError):
    """The BR Code's CRC (id 63) does not match its content."""

    code = "invalid_brcode_crc"


# --- CRC and TLV --------------------------------------------------------------------------------

def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16_ccitt_false(data: str | bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor (table-driven)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    crc = 0xFFFF
    for byte in raw:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC_TABLE[(crc >> 8) ^ byte]
    return crc


def crc_hex(payload_up_to_6304: str) -> str:
    """The 4 uppercase hex digits closing a BR Code whose text (ending in "6304") is given."""
    return f"{crc16_ccitt_false(payload_up_to_6304):04X}"


def tlv(tag: str, value: str) -> str:
    """One EMV field: 2-digit id, 2-digit length in characters, value."""
    if len(tag) != 2 or not tag.isdigit():
        raise BrCodeFormatError(f"EMV id {tag!r} must be 2 digits.")
    if not 1 <= len(value) <= 99:
        raise BrCodeFormatError(f"EMV field {tag} must have 1..99 characters, has {len(value)}.",
                                [FieldError(tag, "must have 1..99 characters")])
    return f"{tag}{len(value):02d}{value}"


def parse_tlv(text: str) -> dict[str, str]:
    """The fields of a TLV sequence, in order; raises on a truncated, repeated or non-numeric header."""
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        header = text[pos:pos + 4]
        if len(header) < 4 or not header.isdigit():
            raise BrCodeFormatError(f"Malformed EMV header at position {pos}.")
        tag, length = header[:2], int(header[2:])
        value = text[pos + 4:pos + 4 + length]
        if len(value) != length or length == 0:
            raise BrCodeFormatError(f"EMV field {tag} at position {pos} declares {length} characters.")
        if tag in fields:
            raise BrCodeFormatError(f"EMV field {tag} appears twice.")
        fields[tag] = value
        pos += 4 + length
    return fields


# --- text ---------------------------------------------------------------------------------------

def ascii_text(value: str) -> str:
    """Accents stripped, anything outside printable ASCII dropped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(ch for ch in decomposed if 32 <= ord(ch) < 127)
    return " ".join(plain.split())


def normalize_name(value: str) -> str:
    """Field 59: accents stripped, at most 25 characters."""
    name = ascii_text(value)[:MAX_NAME].rstrip()
    if not name:
        raise PixError("The merchant name is empty.", [FieldError("name", "is required")])
    return name


def normalize_city(value: str) -> str:
    """Field 60: accents stripped, upper case, at most 15 characters."""
    city = ascii_text(value).upper()[:MAX_CITY].rstrip()
    if not city:
        raise PixError("The merchant city is empty.", [FieldError("city", "is required")])
    return city


def format_amount(amount_cents: int) -> str:
    """Field 54 from centavos: "10.50" for 1050."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or not 0 < amount_cents <= MAX_AMOUNT_CENTS:
        raise PixError("The amount must be a positive integer number of centavos.",
                       [FieldError("amount_cents", f"must be an integer in 1..{MAX_AMOUNT_CENTS}")])
    reais, cents = divmod(amount_cents, 100)
    return f"{reais}.{cents:02d}"


def parse_amount(text: str) -> int:
    """Centavos from field 54 ("10.5" and "10.50" both give 1050)."""
    if not _AMOUNT.match(text):
        raise BrCodeFormatError(f"Amount {text!r} is not digits with an optional dot and up to 2 decimals.",
                                [FieldError(ID_AMOUNT, "is not a valid amount")])
    return int(Decimal(text) * 100)


# --- keys and txids -----------------------------------------------------------------------------

class PixKeyType(StrEnum):
    CPF = "cpf"
    CNPJ = "cnpj"
    EMAIL = "email"
    PHONE = "phone"
    EVP = "evp"


def pix_key_type(key: str) -> PixKeyType | None:
    """The kind of a Pix key written as the DICT stores it, or None when it is none of them."""
    if key.isdigit():
        if len(key) == 11 and is_valid_cpf(key):
            return PixKeyType.CPF
        if len(key) == 14 and is_valid_cnpj(key):
            return PixKeyType.CNPJ
        return None
    if key.startswith("+"):
        return PixKeyType.PHONE if _PHONE.match(key) else None
    if _EVP.match(key):
        return PixKeyType.EVP
    if "@" in key and len(key) <= 77 and _EMAIL.match(key):
        return PixKeyType.EMAIL
    return None


def validate_pix_key(key: str) -> PixKeyType:
    """The key's kind; raises InvalidPixKeyError when the key is not in a DICT format."""
    kind = pix_key_type(key)
    if kind is None:
        raise InvalidPixKeyError(
            "A Pix key is a CPF (11 digits), CNPJ (14 digits), lower-case e-mail (≤ 77), +55 phone or lower-case EVP uuid.",
            [FieldError("key", "is not a valid Pix key")])
    return kind


def is_valid_txid(txid: str) -> bool:
    """A cobrança txid (cob/cobv): 26 to 35 letters and digits."""
    return bool(_TXID.match(txid))


def is_valid_static_txid(txid: str) -> bool:
    """A static QR's reference label: 1 to 25 letters and digits, or "***" for none."""
    return txid == NO_TXID or bool(_STATIC_TXID.match(txid))


def validate_txid(txid: str) -> str:
    if not is_valid_txid(txid):
        raise InvalidTxidError("A txid has 26 to 35 letters and digits.", [FieldError("txid", "must match [a-zA-Z0-9]{26,35}")])
    return txid


def new_txid() -> str:
    """A fresh cobrança txid: a ULID (26 characters, sortable by creation time)."""
    return str(ULID())


def txid_from_id(entity_id: str) -> str:
    """A txid derived from one of our prefixed ids ("chg_01J…" → "chg01J…", 29 characters), so it maps back."""
    candidate = re.sub(r"[^a-zA-Z0-9]", "", entity_id)
    return validate_txid(candidate)


def new_static_txid() -> str:
    """A fresh 25-character reference label for a static QR (uuid4 hex, truncated)."""
    return uuid4().hex[:MAX_STATIC_TXID]


# --- build and parse ----------------------------------------------------------------------------

def build_brcode(*, name: str, city: str, key: str | None = None, location: str | None = None,
                 amount_cents: int | None = None, txid: str | None = None, description: str | None = None,
                 single_use: bool | None = None) -> str:
    """A Pix BR Code: static with a chave, or dynamic with a location URL (whose txid lives behind the URL).

    `name`/`city` are the receiver's; they are stripped of accents and cut to 25/15 characters.
    `amount_cents` None or 0 leaves the amount to the payer. `single_use` writes "01"="12"; it defaults to
    True for a location and False for a chave.
    """
    if (key is None) == (location is None):
        raise PixError("A BR Code carries either a chave or a location URL, exactly one.",
                       [FieldError("key", "exactly one of key or location is required")])
    account = tlv(SUB_GUI, GUI_PIX)
    if key is not None:
        validate_pix_key(key)
        account += tlv(SUB_KEY, key)
        info = ascii_text(description or "")
        if info:
            room = 99 - len(account) - 4
            if room <= 0:
                raise PixError("The chave leaves no room for a description.", [FieldError("description", "does not fit")])
            account += tlv(SUB_INFO, info[:min(room, 72)])
        label = txid if txid is not None else NO_TXID
        if not is_valid_static_txid(label):
            raise InvalidTxidError("A static QR's txid has at most 25 letters and digits.",
                                   [FieldError("txid", "must match [a-zA-Z0-9]{1,25}")])
    else:
        assert location is not None
        if "://" in location or not location.strip():
            raise PixError("The location URL goes without its scheme (no https://).",
                           [FieldError("location", "must be a host and path without https://")])
        if txid is not None:
            raise InvalidTxidError("A dynamic QR's txid is the cobrança's, behind the location: pass none.",
                                   [FieldError("txid", "must be absent with a location")])
        account += tlv(SUB_URL, location)
        label = NO_TXID
    if single_use is None:
        single_use = location is not None
    parts = [tlv(ID_PAYLOAD_FORMAT, "01")]
    if single_use:
        parts.append(tlv(ID_INITIATION, INITIATION_SINGLE_USE))
    parts += [tlv(ID_MERCHANT_ACCOUNT, account), tlv(ID_MCC, MCC_NOT_INFORMED), tlv(ID_CURRENCY, CURRENCY_BRL)]
    if amount_cents:
        parts.append(tlv(ID_AMOUNT, format_amount(amount_cents)))
    parts += [tlv(ID_COUNTRY, COUNTRY_BR), tlv(ID_NAME, normalize_name(name)), tlv(ID_CITY, normalize_city(city)),
              tlv(ID_ADDITIONAL, tlv(SUB_TXID, label))]
    body = "".join(parts) + ID_CRC + "04"
    return body + crc_hex(body)


@dataclass(frozen=True)
class BrCode:
    """A parsed Pix BR Code."""

    payload_format: str
    single_use: bool
    key: str | None
    location: str | None
    description: str | None
    mcc: str
    currency: str
    amount_cents: int | None
    country: str
    name: str
    city: str
    txid: str | None  # None when the payload says "***"
    crc: str
    fields: dict[str, str] = field(default_factory=dict)  # every top-level field, as read


def parse_brcode(payload: str) -> BrCode:
    """Read a BR Code back into its fields; raises BrCodeCrcError or BrCodeFormatError when it is not valid."""
    payload = payload.strip()
    if len(payload) < 8 or payload[-8:-4] != ID_CRC + "04" or not _CRC.match(payload[-4:]):
        raise BrCodeFormatError("A BR Code ends with its CRC field: '6304' and 4 uppercase hex digits.",
                                [FieldError(ID_CRC, "is missing or malformed")])
    expected = crc_hex(payload[:-4])
    if payload[-4:] != expected:
        raise BrCodeCrcError(f"The BR Code CRC is {payload[-4:]}, its content gives {expected}.",
                             [FieldError(ID_CRC, "does not match the payload", {"expected": expected})])
    fields = parse_tlv(payload)
    if list(fields)[:1] != [ID_PAYLOAD_FORMAT] or list(fields)[-1] != ID_CRC:
        raise BrCodeFormatError("A BR Code starts with field 00 and ends with field 63.")
    missing = [tag for tag in (ID_PAYLOAD_FORMAT, ID_MCC, ID_CURRENCY, ID_COUNTRY, ID_NAME, ID_CITY) if tag not in fields]
    account = None
    for tag in (f"{n:02d}" for n in range(26, 52)):
        if tag in fields:
            sub = parse_tlv(fields[tag])
            if sub.get(SUB_GUI, "").lower() == GUI_PIX:
                account = sub
                break
    if account is None:
        missing.append(ID_MERCHANT_ACCOUNT)
    if missing:
        raise BrCodeFormatError(f"The BR Code lacks field(s) {', '.join(missing)}.",
                                [FieldError(tag, "is required") for tag in missing])
    assert account is not None
    if (SUB_KEY in account) == (SUB_URL in account):
        raise BrCodeFormatError("The Pix merchant account has neither or both a chave and a location URL.",
                                [FieldError(ID_MERCHANT_ACCOUNT, "needs exactly one of 01 or 25")])
    additional = parse_tlv(fields[ID_ADDITIONAL]) if ID_ADDITIONAL in fields else {}
    label = additional.get(SUB_TXID)
    return BrCode(
        payload_format=fields[ID_PAYLOAD_FORMAT],
        single_use=fields.get(ID_INITIATION) == INITIATION_SINGLE_USE,
        key=account.get(SUB_KEY),
        location=account.get(SUB_URL),
        description=account.get(SUB_INFO),
        mcc=fields[ID_MCC],
        currency=fields[ID_CURRENCY],
        amount_cents=parse_amount(fields[ID_AMOUNT]) if ID_AMOUNT in fields else None,
        country=fields[ID_COUNTRY],
        name=fields[ID_NAME],
        city=fields[ID_CITY],
        txid=None if label in (None, NO_TXID) else label,
        crc=payload[-4:],
        fields=fields,
    )


# --- QR image -----------------------------------------------------------------------------------

QR_ERROR_LEVEL = "m"
QR_SCALE = 10   # pixels per module: a typical Pix payload (version 7..10) prints about 5 cm wide at 300 dpi
QR_BORDER = 4   # the quiet zone the QR standard asks for


def qrcode_png(payload: str, *, scale: int = QR_SCALE, border: int = QR_BORDER) -> bytes:
    """The BR Code as a PNG QR code, error correction M (segno, imported on first use)."""
    import io

    import segno

    qr = segno.make_qr(payload, error=QR_ERROR_LEVEL, boost_error=False)
    out = io.BytesIO()
    qr.save(out, kind="png", scale=scale, border=border)
    return out.getvalue()

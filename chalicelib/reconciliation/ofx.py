"""OFX statements as Brazilian banks really send them: a repair layer in front of ofxtools.

ofxtools reads OFX 1.x (SGML) and 2.x (XML) strictly: all nine v1 header fields, a fixed set of
charsets, dotted decimals, a FITID on every STMTTRN. What banks here emit differs (see DOMAIN.md):
no CHARSET header (Nubank), CHARSET:1252 declared over a UTF-8 body, amounts with a decimal comma or
with none (Itaú's BALAMT in centavos), padded amounts, "Saldo" rows as STMTTRN with an empty FITID
(Banco do Brasil), instants without an offset or as `[-3:BRT]`. `repair()` normalizes all of that and
names each repair, so the import's answer can say what was changed; `read_ofx()` then parses with
ofxtools and maps its aggregates to `StatementFile`.
"""

from __future__ import annotations

import io
import re
import warnings
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.platform.errors import FieldError, InvalidRequestError
from chalicelib.reconciliation.model import StatementFile, StatementLine, normalize_account

BRASILIA = ZoneInfo("America/Sao_Paulo")
_V1_FIELDS = ("OFXHEADER", "DATA", "VERSION", "SECURITY", "ENCODING", "CHARSET", "COMPRESSION", "OLDFILEUID",
              "NEWFILEUID")
_V1_VERSIONS = ("102", "103", "151", "160")
_AMOUNT_TAGS = ("TRNAMT", "BALAMT")
_DATE_TAGS = ("DTSERVER", "DTSTART", "DTEND", "DTPOSTED", "DTUSER", "DTAVAIL", "DTASOF")
_BALANCE_ROW = re.compile(r"^\s*(S\s*A\s*L\s*D\s*O|SDO\b|SALDO)", re.IGNORECASE)
_NO_FITID = "RTG-NOFITID-"


class OfxError(InvalidRequestError):
    """The body is not an OFX bank statement we can read, even after repair."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, [FieldError("body", detail)])


def looks_like_ofx(raw: bytes) -> bool:
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    return head.startswith(b"OFXHEADER") or head.startswith(b"<?XML") or b"<OFX>" in head


def _decode(raw: bytes, repairs: list[str]) -> str:
    """UTF-8 when the bytes are UTF-8 (whatever the header claims), else Windows-1252."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        declared_bytes = re.search(rb"CHARSET:\s*(\S+)", raw[:1024])
        if declared_bytes is None or declared_bytes.group(1).upper() not in (b"1252", b"ISO-8859-1"):
            repairs.append("body decoded as Windows-1252 (no charset declared, not UTF-8)")
        return raw.decode("cp1252", errors="replace")
    declared = re.search(r"CHARSET:\s*(\S+)", text[:1024])
    if declared and declared.group(1).upper() in ("1252", "ISO-8859-1") and any(ord(c) > 127 for c in text):
        repairs.append(f"body read as UTF-8 although the header declares CHARSET:{declared.group(1)}")
    return text


def _v1_header(text: str, repairs: list[str]) -> tuple[str, str]:
    """The nine header fields ofxtools requires (missing ones filled in), and the SGML body."""
    start = text.find("<")
    if start < 0:
        raise OfxError("The file has no OFX body (no <OFX> element).")
    fields = dict(re.findall(r"([A-Z]+)\s*:\s*([^\s<]*)", text[:start].upper()))
    missing = [f for f in ("OFXHEADER", "DATA", "VERSION", "SECURITY", "ENCODING", "CHARSET") if f not in fields]
    if missing:
        repairs.append("header fields added: " + ", ".join(missing))
    version = fields.get("VERSION", "102")
    if version not in _V1_VERSIONS:
        repairs.append(f"header VERSION {version or '(empty)'} read as 102")
        version = "102"
    # The body is UTF-8 from here on (decoded above, re-encoded below).
    values = {"OFXHEADER": "100", "DATA": "OFXSGML", "VERSION": version, "SECURITY": "NONE", "ENCODING": "UTF-8",
              "CHARSET": "NONE", "COMPRESSION": "NONE", "OLDFILEUID": "NONE", "NEWFILEUID": "NONE"}
    header = "\r\n".join(f"{name}:{values[name]}" for name in _V1_FIELDS)
    return header + "\r\n\r\n", text[start:]


def parse_amount(value: str) -> Decimal:
    """An OFX amount as banks write it: `-1.234,56`, `1234.56`, `+ 000123,40`, `12345`."""
    cleaned = re.sub(r"[\s+]", "", value)
    negative = cleaned.startswith("-")
    digits = cleaned[1:] if negative else cleaned
    if "," in digits and "." in digits:  # the last separator is the decimal one
        if digits.rfind(",") > digits.rfind("."):
            digits = digits.replace(".", "").replace(",", ".")
        else:
            digits = digits.replace(",", "")
    elif "," in digits:
        digits = digits.replace(".", "").replace(",", ".") if digits.count(",") == 1 else digits.replace(",", "")
    elif digits.count(".") > 1:
        digits = digits.replace(".", "")
    if not re.fullmatch(r"\d+(\.\d+)?|\.\d+", digits):
        raise OfxError(f"Amount {value!r} is not a number.")
    try:
        amount = Decimal(digits)
    except InvalidOperation:
        raise OfxError(f"Amount {value!r} is not a number.") from None
    return -amount if negative else amount


def _repair_amounts(body: str, repairs: list[str]) -> str:
    changed: dict[str, None] = {}  # the repairs made, in order, once each

    def fix(match: re.Match[str]) -> str:
        tag, stripped = match.group(1).upper(), match.group(2).strip()
        if tag == "BALAMT" and re.fullmatch(r"[+-]?\d+", stripped.replace(" ", "")):
            amount = parse_amount(stripped) / 100  # Itaú: a balance with no decimal separator is in centavos
            changed["BALAMT without a decimal separator read as centavos"] = None
        elif re.fullmatch(r"-?\d+(\.\d+)?", stripped):
            return match.group(0)  # already what ofxtools reads
        else:
            amount = parse_amount(stripped)
            changed[f"{tag} with a decimal comma or padding normalized"] = None
        return f"<{match.group(1)}>{amount:f}"

    out = re.sub(r"<(TRNAMT|BALAMT)>([^<\r\n]*)", fix, body, flags=re.IGNORECASE)
    repairs.extend(changed)
    return out


def _repair_dates(body: str, repairs: list[str]) -> str:
    added = False

    def fix(match: re.Match[str]) -> str:
        nonlocal added
        tag, value = match.group(1), match.group(2).strip()
        bracket = re.fullmatch(r"(\d{8,14}(?:\.\d{1,3})?)(\[.*\])?", value)
        if bracket is None:
            return match.group(0)
        stamp, offset = bracket.group(1), bracket.group(2)
        if offset is not None and len(stamp) == 8:
            stamp = stamp.ljust(14, "0")
        if offset is None:
            added = True
            return f"<{tag}>{stamp.ljust(14, '0') if len(stamp) == 8 else stamp}[-3:BRT]"
        colon = re.fullmatch(r"\[([+-]?)(\d{1,2}):?(\d{2})\]", offset)  # [-03:00] or [-0300]
        if colon:
            sign, hours, minutes = colon.groups()
            return f"<{tag}>{stamp}[{sign or '+'}{int(hours)}.{minutes}]" if minutes != "00" else \
                f"<{tag}>{stamp}[{sign or '+'}{int(hours)}]"
        return match.group(0)

    out = re.sub(r"<(" + "|".join(_DATE_TAGS) + r")>([^<\r\n]*)", fix, body, flags=re.IGNORECASE)
    if added:
        repairs.append("instants without an offset read as Brasília time [-3:BRT]")
    return out


def _repair_transactions(body: str, repairs: list[str]) -> tuple[str, int]:
    """Balance rows (a "SALDO" STMTTRN with an empty FITID) dropped; other empty FITIDs given a placeholder."""
    dropped = 0
    placeholders = 0
    closed = 0

    def fix(match: re.Match[str]) -> str:
        nonlocal dropped, placeholders, closed
        block = match.group(0)
        if not re.search(r"</STMTTRN>\s*$", block, re.IGNORECASE):
            closed += 1
            block = block.rstrip() + "\r\n</STMTTRN>\r\n"
        fitid = re.search(r"<FITID>([^<\r\n]*)", block, re.IGNORECASE)
        if fitid is not None and fitid.group(1).strip():
            trntype = re.search(r"<TRNTYPE>([^<\r\n]*)", block, re.IGNORECASE)
            if trntype and trntype.group(1).strip() != trntype.group(1).strip().upper():
                block = block.replace(trntype.group(0), f"<TRNTYPE>{trntype.group(1).strip().upper()}")
            return block
        text = " ".join(re.findall(r"<(?:NAME|MEMO)>([^<\r\n]*)", block, re.IGNORECASE))
        if _BALANCE_ROW.match(text):
            dropped += 1
            return ""
        placeholders += 1
        filler = f"<FITID>{_NO_FITID}{placeholders}"
        if fitid is not None:
            return block.replace(fitid.group(0), filler, 1)
        return re.sub(r"(<TRNTYPE>[^<\r\n]*)", lambda m: m.group(1) + filler, block, count=1, flags=re.IGNORECASE)

    out = re.sub(r"<STMTTRN>.*?(?:</STMTTRN>|(?=<STMTTRN>|</BANKTRANLIST>))", fix, body,
                 flags=re.IGNORECASE | re.DOTALL)
    if closed:
        repairs.append(f"{closed} unclosed STMTTRN aggregate(s) closed")
    if dropped:
        repairs.append(f"{dropped} balance row(s) without a FITID dropped")
    if placeholders:
        repairs.append(f"{placeholders} line(s) without a FITID kept (deduplicated by content)")
    return out, dropped


def repair(raw: bytes) -> tuple[bytes, list[str], int]:
    """The file as ofxtools reads it, the repairs made, and the balance rows dropped."""
    repairs: list[str] = []
    text = _decode(raw, repairs)
    stripped = text.lstrip()
    if stripped.startswith("<?xml") or stripped.startswith("<?XML"):
        head_end = stripped.find("<OFX>")
        if head_end < 0:
            raise OfxError("The file has no <OFX> element.")
        header, body = stripped[:head_end], stripped[head_end:]
        header = re.sub(r"encoding=[\"'][^\"']*[\"']", 'encoding="UTF-8"', header, count=1)
    else:
        header, body = _v1_header(stripped, repairs)
    body = _repair_amounts(body, repairs)
    body = _repair_dates(body, repairs)
    body, dropped = _repair_transactions(body, repairs)
    return (header + body).encode("utf-8"), repairs, dropped


def _posted_on(value: Any) -> date:
    if isinstance(value, datetime):
        return value.astimezone(BRASILIA).date()
    return date.fromisoformat(str(value)[:10])


def _cents(value: Decimal) -> int:
    return int((value * 100).quantize(Decimal("1")))


def _text(*parts: Any) -> str:
    seen: list[str] = []
    for part in parts:
        value = " ".join(str(part).split()) if part else ""
        if value and value not in seen:
            seen.append(value)
    return " - ".join(seen)[:300]


def read_ofx(raw: bytes) -> StatementFile:
    """The statement of one bank account from an OFX file (after repair)."""
    from ofxtools.Parser import OFXTree

    fixed, repairs, _ = repair(raw)
    tree = OFXTree()
    try:
        with warnings.catch_warnings():  # long NAMEs and unknown tags are the banks' everyday style
            warnings.simplefilter("ignore")
            tree.parse(io.BytesIO(fixed))
            ofx = tree.convert()
    except Exception as exc:  # noqa: BLE001 - ofxtools raises many kinds; each is the client's file
        raise OfxError(f"The OFX file cannot be read: {str(exc)[:300] or type(exc).__name__}.") from None
    statements = list(getattr(ofx, "statements", []) or [])
    bank = [s for s in statements if getattr(s, "bankacctfrom", None) is not None]
    if not bank:
        raise OfxError("The OFX file holds no bank account statement (STMTRS); card statements are not read.")
    if len(bank) > 1:
        raise OfxError("The OFX file holds statements of several accounts; send one account per file.")
    stmt = bank[0]
    acct = stmt.bankacctfrom
    bank_code, agency, account = normalize_account(acct.bankid, acct.branchid or "", acct.acctid)
    lines = []
    for trn in stmt.banktranlist or []:
        fitid = None if str(trn.fitid).startswith(_NO_FITID) else str(trn.fitid).strip()
        amount = _cents(trn.trnamt)
        if amount == 0:
            continue
        lines.append(StatementLine(
            fitid=fitid, posted_on=_posted_on(trn.dtposted), amount_cents=amount,
            description=_text(trn.name, trn.memo) or str(trn.trntype), kind=str(trn.trntype),
            reference=_text(trn.refnum, trn.checknum) or None))
    tranlist = stmt.banktranlist
    balance = stmt.ledgerbal
    return StatementFile(
        format="ofx", bank_code=bank_code, agency=agency, account=account, lines=lines,
        period_start=_posted_on(tranlist.dtstart) if tranlist is not None and tranlist.dtstart else None,
        period_end=_posted_on(tranlist.dtend) if tranlist is not None and tranlist.dtend else None,
        balance_cents=_cents(balance.balamt) if balance is not None else None,
        balance_on=_posted_on(balance.dtasof) if balance is not None else None,
        repairs=repairs)

"""CNAB 240 retorno de cobrança (FEBRABAN layout 10.x): what the bank says happened to each boleto.

A file is 240-character records; the record type is position 8 (0 file header, 1 batch header, 3 detail,
5 batch trailer, 9 file trailer). In cobrança each title the bank moved is a segment T (nosso número,
seu número, vencimento, valor nominal, tarifa) followed by a segment U (juros/multa, desconto, valor pago,
valor líquido, data da ocorrência, data do crédito). Movement 06 (liquidação) and 17 (liquidação após
baixa) move money; the others (02 entrada confirmada, 09 baixa, 28 tarifas...) are skipped.

Positions are FEBRABAN's, 1-based and inclusive, as in the manuals; where a bank fills a field its
own way (the nosso número above all), its row in `LAYOUTS` says so. Adding a bank is adding a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from chalicelib.platform.errors import FieldError, InvalidRequestError
from chalicelib.reconciliation.model import StatementFile, StatementLine, normalize_account

Span = tuple[int, int]  # 1-based, inclusive, as the bank manuals print them

SETTLEMENT_MOVEMENTS = {"06": "liquidação", "17": "liquidação após baixa"}


@dataclass(frozen=True)
class Layout:
    """Where one bank's retorno keeps each field (FEBRABAN's positions unless the bank differs)."""

    bank_code: str
    name: str
    header_agency: Span = (53, 57)
    header_account: Span = (59, 70)
    header_account_dv: Span = (71, 71)
    t_movement: Span = (16, 17)
    t_our_number: Span = (38, 57)
    t_document: Span = (59, 73)
    t_due_date: Span = (74, 81)
    t_face_value: Span = (82, 96)
    t_payer_name: Span = (149, 188)
    t_fee: Span = (199, 213)
    u_fine_interest: Span = (18, 32)
    u_discount: Span = (33, 47)
    u_paid: Span = (78, 92)
    u_net: Span = (93, 107)
    u_occurred_on: Span = (138, 145)
    u_credited_on: Span = (146, 153)
    extra: dict[str, Span] = field(default_factory=dict)


FEBRABAN = Layout(bank_code="*", name="FEBRABAN 240 (padrão)")

LAYOUTS: dict[str, Layout] = {
    # Banco do Brasil: the 17-digit nosso número (convênio + sequence) left-aligned in 38-57.
    "001": Layout(bank_code="001", name="Banco do Brasil", t_our_number=(38, 54)),
    # Santander: nosso número of 13 digits (12 + DV) at 41-53.
    "033": Layout(bank_code="033", name="Santander", t_our_number=(41, 53)),
    # Caixa: 17 digits (modalidade + 15) at 40-56.
    "104": Layout(bank_code="104", name="Caixa Econômica Federal", t_our_number=(40, 56)),
    # Bradesco: carteira (3) at 38-40, nosso número (11) + DV at 41-52.
    "237": Layout(bank_code="237", name="Bradesco", t_our_number=(41, 51)),
    # Itaú: carteira (3) at 38-40, nosso número (8) at 41-48, DV at 49.
    "341": Layout(bank_code="341", name="Itaú", t_our_number=(41, 48)),
    # Sicoob: nosso número (10, DV included) at 38-47.
    "756": Layout(bank_code="756", name="Sicoob", t_our_number=(38, 47)),
}


class CnabError(InvalidRequestError):
    def __init__(self, detail: str, line: int | None = None) -> None:
        where = f"line {line}: " if line else ""
        super().__init__(where + detail, [FieldError(f"body.line.{line}" if line else "body", detail)])


def looks_like_cnab240(raw: bytes) -> bool:
    first = raw[:250].split(b"\n", 1)[0].rstrip(b"\r")
    return len(first) == 240 and first[7:8] == b"0" and first[:3].isdigit()


def layout_of(bank_code: str) -> Layout:
    return LAYOUTS.get(bank_code, FEBRABAN)


def _cut(record: str, span: Span) -> str:
    return record[span[0] - 1:span[1]]


def _cents(record: str, span: Span, line: int) -> int:
    value = _cut(record, span).strip() or "0"
    if not value.isdigit():
        raise CnabError(f"positions {span[0]}-{span[1]} must be digits (got {value!r})", line)
    return int(value)


def _date(record: str, span: Span, line: int) -> date | None:
    value = _cut(record, span).strip()
    if not value or set(value) == {"0"}:
        return None
    try:
        return date(int(value[4:8]), int(value[2:4]), int(value[0:2]))
    except ValueError:
        raise CnabError(f"positions {span[0]}-{span[1]} must be a date DDMMAAAA (got {value!r})", line) from None


def read_cnab240(raw: bytes) -> StatementFile:
    """The settlements of a CNAB 240 cobrança retorno, as statement lines of the beneficiary's account."""
    text = raw.decode("latin-1")
    records = [r.rstrip("\r") for r in text.split("\n")]
    while records and not records[-1].strip():
        records.pop()
    if not records:
        raise CnabError("The file is empty.")
    for n, record in enumerate(records, start=1):
        if len(record) != 240:
            raise CnabError(f"a CNAB 240 record has 240 characters, this one {len(record)}", n)
    header = records[0]
    if header[7] != "0":
        raise CnabError("the first record must be the file header (type 0 at position 8)", 1)
    if header[142] != "2":
        raise CnabError("this is a remessa (position 143 is not 2): send the bank's retorno", 1)
    bank_code = header[0:3]
    layout = layout_of(bank_code)
    _, agency, account = normalize_account(
        bank_code, _cut(header, layout.header_agency),
        _cut(header, layout.header_account) + _cut(header, layout.header_account_dv).strip())
    lines: list[StatementLine] = []
    skipped = 0
    pending_t: tuple[int, str] | None = None
    for n, record in enumerate(records, start=1):
        kind = record[7]
        if kind == "9":
            break
        if kind != "3":
            continue
        segment = record[13]
        if segment == "T":
            if pending_t is not None:
                raise CnabError("a segment T must be followed by its segment U", pending_t[0])
            pending_t = (n, record)
        elif segment == "U":
            if pending_t is None:
                raise CnabError("a segment U without its segment T", n)
            line = _settlement(layout, pending_t[1], record, pending_t[0], n)
            pending_t = None
            if line is None:
                skipped += 1
            else:
                lines.append(line)
    if pending_t is not None:
        raise CnabError("a segment T must be followed by its segment U", pending_t[0])
    days = [ln.posted_on for ln in lines]
    return StatementFile(format="cnab240", bank_code=bank_code, agency=agency, account=account, lines=lines,
                         period_start=min(days) if days else None, period_end=max(days) if days else None,
                         skipped=skipped)


def _settlement(layout: Layout, t: str, u: str, t_line: int, u_line: int) -> StatementLine | None:
    movement = _cut(t, layout.t_movement)
    if movement not in SETTLEMENT_MOVEMENTS:
        return None
    our_number = _cut(t, layout.t_our_number).strip().lstrip("0") or "0"
    paid = _cents(u, layout.u_paid, u_line)
    credited_on = _date(u, layout.u_credited_on, u_line)
    occurred_on = _date(u, layout.u_occurred_on, u_line)
    posted_on = credited_on or occurred_on
    if posted_on is None:
        raise CnabError("a settlement needs its date of credit (146-153) or occurrence (138-145)", u_line)
    document = _cut(t, layout.t_document).strip()
    payer = " ".join(_cut(t, layout.t_payer_name).split())
    description = f"Liquidação boleto nosso número {our_number}" + (f" doc {document}" if document else "") + \
        (f" - {payer}" if payer else "")
    net = _cents(u, layout.u_net, u_line)
    return StatementLine(
        fitid=f"CNAB-{our_number}-{movement}-{(occurred_on or posted_on).isoformat()}",
        posted_on=posted_on, amount_cents=paid, description=description,
        kind=f"{movement} {SETTLEMENT_MOVEMENTS[movement]}", reference=document or None, our_number=our_number,
        due_date=_date(t, layout.t_due_date, t_line), face_value_cents=_cents(t, layout.t_face_value, t_line),
        fine_interest_cents=_cents(u, layout.u_fine_interest, u_line),
        discount_cents=_cents(u, layout.u_discount, u_line), fee_cents=_cents(t, layout.t_fee, t_line),
        net_cents=net or None, occurred_on=occurred_on)


# --- writing one (the tests' and the local sandbox's bank) ---------------------------------------

def _put(record: list[str], span: Span, value: str) -> None:
    width = span[1] - span[0] + 1
    if len(value) > width:
        raise ValueError(f"{value!r} does not fit {width} positions")
    record[span[0] - 1:span[1]] = list(value)


def _num(value: int, span: Span) -> str:
    return str(value).rjust(span[1] - span[0] + 1, "0")


def _ddmmaaaa(day: date | None) -> str:
    return day.strftime("%d%m%Y") if day else "00000000"


@dataclass(frozen=True)
class Title:
    """One title the bank reports in a retorno."""

    our_number: str
    paid_cents: int
    due_date: date
    face_value_cents: int
    occurred_on: date
    credited_on: date | None = None
    fine_interest_cents: int = 0
    discount_cents: int = 0
    fee_cents: int = 0
    movement: str = "06"
    document: str = ""
    payer_name: str = ""


def write_retorno(bank_code: str, agency: str, account: str, account_dv: str, generated_on: date,
                  titles: list[Title], company_document: str = "00000000000000",
                  company_name: str = "EMPRESA") -> bytes:
    """A CNAB 240 cobrança retorno in the bank's layout: header, batch, a T+U pair per title, trailers."""
    layout = layout_of(bank_code)
    blank = [" "] * 240

    def record(kind: str, batch: str) -> list[str]:
        rec = blank.copy()
        _put(rec, (1, 3), bank_code)
        _put(rec, (4, 7), batch)
        _put(rec, (8, 8), kind)
        return rec

    header = record("0", "0000")
    _put(header, (18, 18), "2")
    _put(header, (19, 32), company_document.rjust(14, "0"))
    _put(header, layout.header_agency, agency.rjust(5, "0"))
    _put(header, layout.header_account, account.rjust(12, "0"))
    _put(header, layout.header_account_dv, account_dv)
    _put(header, (73, 102), company_name[:30].ljust(30))
    _put(header, (143, 143), "2")
    _put(header, (144, 151), _ddmmaaaa(generated_on))
    _put(header, (164, 166), "107")
    batch = record("1", "0001")
    _put(batch, (9, 9), "T")
    _put(batch, (10, 11), "01")
    _put(batch, (14, 16), "060")
    out = [header, batch]
    for seq, title in enumerate(titles, start=1):
        t = record("3", "0001")
        _put(t, (9, 13), _num(2 * seq - 1, (9, 13)))
        _put(t, (14, 14), "T")
        _put(t, layout.t_movement, title.movement)
        width = layout.t_our_number[1] - layout.t_our_number[0] + 1
        nn = title.our_number.rjust(width, "0") if layout.bank_code != "001" else title.our_number.ljust(width)
        _put(t, layout.t_our_number, nn)
        _put(t, layout.t_document, title.document[:15].ljust(15))
        _put(t, layout.t_due_date, _ddmmaaaa(title.due_date))
        _put(t, layout.t_face_value, _num(title.face_value_cents, layout.t_face_value))
        _put(t, layout.t_payer_name, title.payer_name[:40].ljust(40))
        _put(t, layout.t_fee, _num(title.fee_cents, layout.t_fee))
        u = record("3", "0001")
        _put(u, (9, 13), _num(2 * seq, (9, 13)))
        _put(u, (14, 14), "U")
        _put(u, layout.t_movement, title.movement)
        _put(u, layout.u_fine_interest, _num(title.fine_interest_cents, layout.u_fine_interest))
        _put(u, layout.u_discount, _num(title.discount_cents, layout.u_discount))
        _put(u, layout.u_paid, _num(title.paid_cents, layout.u_paid))
        _put(u, layout.u_net, _num(title.paid_cents - title.fee_cents, layout.u_net))
        _put(u, layout.u_occurred_on, _ddmmaaaa(title.occurred_on))
        _put(u, layout.u_credited_on, _ddmmaaaa(title.credited_on))
        out += [t, u]
    trailer = record("5", "0001")
    _put(trailer, (18, 23), _num(len(titles) * 2 + 2, (18, 23)))
    file_trailer = record("9", "9999")
    _put(file_trailer, (18, 23), "000001")
    _put(file_trailer, (24, 29), _num(len(out) + 2, (24, 29)))
    out += [trailer, file_trailer]
    return ("\r\n".join("".join(r) for r in out) + "\r\n").encode("latin-1")

"""Reading banks' files, pure: the OFX repair layer (each quirk of DOMAIN.md on its own), CNAB 240 retornos
per bank layout, the dedupe fingerprints and the matching order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.platform.errors import InvalidRequestError
from chalicelib.reconciliation import cnab240, matching
from chalicelib.reconciliation.model import StatementLine, line_fingerprints, normalize_account
from chalicelib.reconciliation.ofx import parse_amount, read_ofx, repair


@pytest.mark.parametrize("text, amount", [
    ("150.00", "150.00"), ("-12,34", "-12.34"), ("  1.234,56", "1234.56"), ("1,234.56", "1234.56"),
    ("+ 000123,40", "123.40"), ("-45,9", "-45.9"), ("1.234.567", "1234567"), ("100", "100"), (".5", ".5"),
])
def test_amounts_as_banks_write_them(text, amount):
    assert parse_amount(text) == Decimal(amount)


@pytest.mark.parametrize("text", ["abc", "1,2,3.4.5x", "--1", ""])
def test_an_amount_that_is_no_number_is_400(text):
    with pytest.raises(InvalidRequestError):
        parse_amount(text)


HEADER = ("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
          "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n")


def body(trn: str, balance: str = "<BALAMT>10.00") -> str:
    return ("<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20261202120000"
            "<LANGUAGE>POR</SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0"
            "<SEVERITY>INFO</STATUS><STMTRS><CURDEF>BRL<BANKACCTFROM><BANKID>237<BRANCHID>0001-2"
            "<ACCTID>0012345-6<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST><DTSTART>20261201<DTEND>20261202"
            f"{trn}</BANKTRANLIST><LEDGERBAL>{balance}<DTASOF>20261202</LEDGERBAL></STMTRS></STMTTRNRS>"
            "</BANKMSGSRSV1></OFX>")


def trn(amount: str = "10.00", fitid: str = "1", memo: str = "PIX", when: str = "20261201120000[-3:BRT]") -> str:
    return f"<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>{when}<TRNAMT>{amount}<FITID>{fitid}<MEMO>{memo}</STMTTRN>"


def test_a_clean_file_needs_no_repair_and_names_the_account():
    statement = read_ofx((HEADER + body(trn())).encode())
    assert (statement.bank_code, statement.agency, statement.account) == ("237", "1", "123456")
    assert [(ln.posted_on, ln.amount_cents, ln.fitid) for ln in statement.lines] == [(date(2026, 12, 1), 1000, "1")]
    assert statement.balance_cents == 1000 and statement.repairs == ["instants without an offset read as Brasília time [-3:BRT]"]


def test_a_missing_charset_header_is_added():
    fixed, repairs, _ = repair((HEADER.replace("CHARSET:1252\n", "") + body(trn())).encode())
    assert b"CHARSET:NONE" in fixed and any("CHARSET" in r for r in repairs)


def test_windows_1252_bytes_and_utf8_bytes_under_a_1252_header_both_read_right():
    text = HEADER + body(trn(memo="Pagamento título Conceição"))
    for raw in (text.encode("cp1252"), text.encode("utf-8")):
        assert read_ofx(raw).lines[0].description == "Pagamento título Conceição"


def test_balance_rows_without_fitid_are_dropped_and_other_empty_fitids_kept_by_content():
    text = HEADER + body(trn(fitid="", memo="SALDO ANTERIOR") + trn(fitid="", memo="TARIFA") + trn(fitid="9"))
    statement = read_ofx(text.encode())
    assert [(ln.fitid, ln.description) for ln in statement.lines] == [(None, "TARIFA"), ("9", "PIX")]
    assert any("balance row" in r for r in statement.repairs)


def test_an_itau_balance_without_a_decimal_separator_is_centavos_but_a_transaction_is_reais():
    statement = read_ofx((HEADER + body(trn(amount="100"), balance="<BALAMT>12345")).encode())
    assert statement.balance_cents == 12345 and statement.lines[0].amount_cents == 10000


@pytest.mark.parametrize("when, day", [
    ("20261201233000[-3:BRT]", date(2026, 12, 1)),  # late evening in Brasília is still that day
    ("20261201233000[-3:GMT]", date(2026, 12, 1)),  # Santander's name for the same offset
    ("20261201233000", date(2026, 12, 1)),          # no offset: Brasília time
    ("20261201", date(2026, 12, 1)),
    ("20261202023000[+0:UTC]", date(2026, 12, 1)),
    ("20261201233000[-03:00]", date(2026, 12, 1)),
])
def test_instants_are_read_as_the_bank_meant_them(when, day):
    assert read_ofx((HEADER + body(trn(when=when))).encode()).lines[0].posted_on == day


def test_a_file_with_no_bank_statement_or_two_accounts_is_400():
    with pytest.raises(InvalidRequestError):
        read_ofx((HEADER + "<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>").encode())
    two = body(trn()).replace("</BANKMSGSRSV1>", body(trn()).split("<BANKMSGSRSV1>")[1])
    with pytest.raises(InvalidRequestError):
        read_ofx((HEADER + two).encode())


def test_accounts_written_differently_normalize_to_one():
    assert normalize_account("1", "0001-9", "00012345-6") == normalize_account("001", "1", "123456") == (
        "001", "1", "123456")


def line(day: int = 1, cents: int = 1000, text: str = "PIX", fitid: str | None = "1") -> StatementLine:
    return StatementLine(fitid=fitid, posted_on=date(2026, 12, day), amount_cents=cents, description=text,
                         kind="CREDIT")


def test_fingerprints_tell_reused_fitids_apart_and_keep_repeats_within_a_file():
    a, b, c = line(), line(cents=2000), line()
    prints = line_fingerprints("bac_1", [a, b, c])
    assert len(set(prints)) == 3
    assert line_fingerprints("bac_1", [a, b, c]) == prints           # the same file: the same keys
    assert line_fingerprints("bac_1", [a, c])[:2] == [prints[0], prints[2]]
    assert line_fingerprints("bac_2", [a]) != prints[:1]               # another account's line
    assert line_fingerprints("bac_1", [line(text="  pix ")]) == prints[:1]  # case and spacing aside


@given(st.lists(st.tuples(st.integers(1, 28), st.integers(-10_000, 10_000).filter(bool),
                          st.sampled_from(["PIX", "TARIFA", "TED"]), st.sampled_from(["1", "2", None])),
                max_size=30))
def test_any_overlapping_download_dedupes_to_the_union(rows):
    lines = [line(d, c, t, f) for d, c, t, f in rows]
    half = lines[: len(lines) // 2]
    seen = set(line_fingerprints("bac_1", half))
    fresh = [fp for fp in line_fingerprints("bac_1", lines) if fp not in seen]
    assert len(seen) + len(fresh) == len(lines)


# --- CNAB 240 ---

def title(our_number: str, **extra) -> cnab240.Title:
    values = {"paid_cents": 10_150, "due_date": date(2026, 11, 30), "face_value_cents": 10_000,
              "occurred_on": date(2026, 12, 1), "credited_on": date(2026, 12, 2), "fine_interest_cents": 150,
              "fee_cents": 199, "document": "NF 123", "payer_name": "MARIA DA SILVA"}
    values.update(extra)
    return cnab240.Title(our_number=our_number, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize("bank, our_number", [("001", "12345670000000042"), ("341", "12345678"),
                                              ("237", "12345678901"), ("033", "1234567890123"),
                                              ("104", "14000000000000042"), ("756", "1234567")])
def test_each_banks_retorno_gives_the_nosso_numero_amounts_and_dates(bank, our_number):
    raw = cnab240.write_retorno(bank, "1234", "98765", "0", date(2026, 12, 2), [title(our_number)])
    assert all(len(r) == 240 for r in raw.decode("latin-1").splitlines())
    statement = cnab240.read_cnab240(raw)
    assert (statement.format, statement.bank_code, statement.agency, statement.account) == (
        "cnab240", bank, "1234", "987650")
    (only,) = statement.lines
    assert (only.our_number, only.amount_cents, only.fine_interest_cents, only.fee_cents, only.net_cents) == (
        our_number.lstrip("0"), 10_150, 150, 199, 10_150 - 199)
    assert (only.posted_on, only.occurred_on, only.due_date) == (date(2026, 12, 2), date(2026, 12, 1),
                                                                 date(2026, 11, 30))
    assert "MARIA DA SILVA" in only.description and only.kind == "06 liquidação"


def test_movements_that_move_no_money_are_skipped():
    raw = cnab240.write_retorno("001", "1", "2", "3", date(2026, 12, 2),
                                [title("1", movement="02"), title("2", movement="09"), title("3", movement="17")])
    statement = cnab240.read_cnab240(raw)
    assert [ln.our_number for ln in statement.lines] == ["3"] and statement.skipped == 2


@pytest.mark.parametrize("mangle, field", [
    (lambda rs: [*rs[:2], rs[2][:200], *rs[3:]], "body.line.3"),
    (lambda rs: [*rs[:2], rs[3], *rs[4:]], "body.line.3"),          # a U without its T
    (lambda rs: rs[:3] + rs[4:], "body.line.3"),                     # a T without its U
    (lambda rs: [rs[0][:142] + "1" + rs[0][143:], *rs[1:]], "body.line.1"),  # a remessa
    (lambda rs: [*rs[:3], rs[3][:77] + "12345678901234X" + rs[3][92:], *rs[4:]], "body.line.4"),
    (lambda rs: [*rs[:3], rs[3][:145] + "31132026" + rs[3][153:], *rs[4:]], "body.line.4"),
])
def test_broken_retornos_are_400_naming_the_line(mangle, field):
    raw = cnab240.write_retorno("341", "1", "2", "3", date(2026, 12, 2), [title("1")])
    records = raw.decode("latin-1").splitlines()
    with pytest.raises(InvalidRequestError) as caught:
        cnab240.read_cnab240("\r\n".join(mangle(records)).encode("latin-1"))
    assert [e.field for e in caught.value.errors] == [field]


# --- matching ---

class Charge:
    def __init__(self, id: str, amount: int, due: date, status: str = "pending") -> None:
        self.id, self.amount_cents, self.due_date, self.status = id, amount, due, status

    def amount_due_on(self, day: date) -> int:
        return self.amount_cents + (100 if day > self.due_date else 0)


def test_references_in_a_line():
    refs = matching.references(line(text="PIX COB chg01KB2Y5ZQ6M7N8P9R0S1T2V3W4 REF 00012345670000000042"))
    assert refs.charge_ids == ["chg_01KB2Y5ZQ6M7N8P9R0S1T2V3W4"]
    assert refs.our_numbers == ["12345670000000042"]


def test_amount_and_window_need_exactly_one_open_candidate():
    day = date(2026, 12, 10)
    one = Charge("chg_1", 1000, date(2026, 12, 5))
    late = Charge("chg_2", 2000, date(2026, 12, 1))
    far = Charge("chg_3", 3000, date(2026, 11, 1))
    paid = Charge("chg_4", 4000, day, status="paid")
    pool = [one, late, far, paid]
    assert matching.by_amount(line(10, 1000), pool, set()) is one
    assert matching.by_amount(line(10, 2100), pool, set()) is late    # with the late fee
    assert matching.by_amount(line(10, 3000), pool, set()) is None    # outside the window
    assert matching.by_amount(line(10, 4000), pool, set()) is None    # not open
    assert matching.by_amount(line(10, 1000), pool, {"chg_1"}) is None  # taken by another line
    twin = Charge("chg_5", 1000, date(2026, 12, 12))
    assert matching.by_amount(line(10, 1000), [*pool, twin], set()) is None


def test_rules_match_direction_and_text_without_case_or_accents():
    fee = line(cents=-1250, text="Tarifa Pacote de Serviços")
    assert matching.rule_matches("tarifa pacote", "debit", fee)
    assert matching.rule_matches("SERVICOS", "debit", fee)
    assert not matching.rule_matches("tarifa", "credit", fee)

"""Bank statements through the API: OFX in several banks' real styles (the broken ones repaired) and CNAB 240
retornos imported once, bank accounts created on first sight, lines deduplicated, credits matched to charges
(reference first, then amount and date) and settled through the payment path exactly once, and a person's
match and ignore."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_catalog import call, fields
from tests.api.test_charges import customer as customer
from tests.api.test_charges import new_charge, notice, post_notice, secret_of, signed
from tests.api.test_orders import deliver_event
from tests.clock import app_today

SAMPLES = Path(__file__).parent.parent / "fixtures" / "statements"


def upload(http, tenant, raw: bytes, content_type: str = "application/x-ofx") -> tuple[int, Any]:
    """Import a file, then do what the reconciliation queue does: settle the matched lines' charges (the test
    client runs no queues; a redelivered event is a no-op)."""
    answer = http.request("POST", "/v1/bank-statements", raw=raw,
                          headers={**tenant["headers"], "Content-Type": content_type})
    for event in call(http, tenant, "GET", "/v1/events?type=bank_transaction.matched&limit=100")[1]["data"]:
        assert deliver_event("reconciliation_consumer", event["type"], tenant, event["data"],
                             event["id"]) == {"batchItemFailures": []}
    return answer.status_code, json.loads(answer.body)


def ofx(lines: list[tuple[date, int, str, str]], *, bank: str = "341", agency: str = "0412",
        account: str = "0098765-4", balance_cents: int | None = None) -> bytes:
    """An OFX 1.02 statement in Itaú's style: (day, amount in centavos, memo, FITID) per line."""
    days = [d for d, *_ in lines] or [app_today()]
    rows = "".join(
        f"<STMTTRN><TRNTYPE>{'CREDIT' if cents > 0 else 'DEBIT'}</TRNTYPE><DTPOSTED>{d:%Y%m%d}</DTPOSTED>"
        f"<TRNAMT>{cents / 100:.2f}</TRNAMT><FITID>{fitid}</FITID><MEMO>{memo}</MEMO></STMTTRN>\n"
        for d, cents, memo, fitid in lines)
    balance = balance_cents if balance_cents is not None else sum(c for _, c, *_ in lines)
    return (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
        "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n<OFX>\n"
        "<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>"
        f"<DTSERVER>{max(days):%Y%m%d}</DTSERVER><LANGUAGE>POR</LANGUAGE></SONRS></SIGNONMSGSRSV1>\n"
        "<BANKMSGSRSV1><STMTTRNRS><TRNUID>1</TRNUID><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>"
        f"<STMTRS><CURDEF>BRL</CURDEF><BANKACCTFROM><BANKID>{bank}</BANKID><BRANCHID>{agency}</BRANCHID>"
        f"<ACCTID>{account}</ACCTID><ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM>\n"
        f"<BANKTRANLIST><DTSTART>{min(days):%Y%m%d}</DTSTART><DTEND>{max(days):%Y%m%d}</DTEND>\n{rows}"
        f"</BANKTRANLIST><LEDGERBAL><BALAMT>{balance / 100:.2f}</BALAMT><DTASOF>{max(days):%Y%m%d}</DTASOF>"
        "</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n").encode("cp1252")


def retorno(titles: list[Any], bank: str = "001") -> bytes:
    from chalicelib.reconciliation.cnab240 import write_retorno

    return write_retorno(bank, "1234", "123456", "7", app_today(), titles)


def title(charge: dict[str, Any], paid: int | None = None, on: date | None = None, **extra: Any) -> Any:
    from chalicelib.reconciliation.cnab240 import Title

    day = on or app_today()
    return Title(our_number=charge["boleto"]["our_number"], paid_cents=paid or charge["amount_cents"],
                 due_date=date.fromisoformat(charge["due_date"]), face_value_cents=charge["amount_cents"],
                 occurred_on=day, credited_on=day + timedelta(days=1), **extra)


def lines(http, tenant, query: str = "") -> list[dict[str, Any]]:
    status, body = call(http, tenant, "GET", f"/v1/bank-transactions{query}")
    assert status == 200, body
    return body["data"]


def charge_of(http, tenant, charge_id: str) -> dict[str, Any]:
    status, body = call(http, tenant, "GET", f"/v1/charges/{charge_id}")
    assert status == 200, body
    return body


EXPECTED = {  # sample → (bank, agency, account, lines, balance, a repair the answer names)
    "bb_sgml_1252.ofx": ("001", "1234", "123456", 3, 122740, "balance row(s) without a FITID dropped"),
    "bb_1252_declared_utf8_body.ofx": ("001", "1234", "123456", 3, 122740, "read as UTF-8"),
    "itau_balance_in_centavos.ofx": ("341", "412", "987654", 3, 46500, "BALAMT without a decimal separator"),
    "santander_decimal_comma.ofx": ("033", "3456", "130012345", 2, 118866, "decimal comma"),
    "nubank_no_charset.ofx": ("260", "1", "76543210", 2, 30000, "header fields added: CHARSET"),
    "inter_v2_xml.ofx": ("077", "1", "11223344", 2, 9799, "without an offset"),
}


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_each_banks_ofx_is_read_repaired_and_stored_once(http, tenant, sample):
    bank, agency, account, count, balance, repair = EXPECTED[sample]
    raw = (SAMPLES / sample).read_bytes()
    status, first = upload(http, tenant, raw)
    assert status == 201, first
    assert first["id"].startswith("stm_") and first["format"] == "ofx"
    assert (first["transactions"], first["duplicates"], first["matched"], first["unmatched"]) == (count, 0, 0, count)
    assert any(repair in r for r in first["repairs"]), first["repairs"]
    status, again = upload(http, tenant, raw)
    assert status == 201 and again["bank_account_id"] == first["bank_account_id"]
    assert (again["transactions"], again["duplicates"], again["matched"], again["unmatched"]) == (0, count, 0, 0)
    status, accounts = call(http, tenant, "GET", "/v1/bank-accounts")
    assert [(a["id"], a["bank_code"], a["agency"], a["account"], a["balance_cents"]) for a in accounts["data"]] == [
        (first["bank_account_id"], bank, agency, account, balance)]
    stored = lines(http, tenant, f"?bank_account_id={first['bank_account_id']}")
    assert len(stored) == count and all(t["status"] == "unmatched" and t["id"].startswith("btx_") for t in stored)
    status, got = call(http, tenant, "GET", f"/v1/bank-statements/{first['id']}")
    check = got.pop("balance_check")
    assert (status, got) == (200, first)
    assert (check["statement_balance_cents"], check["unmatched_lines"], check["balanced"]) == (balance, count, False)
    assert check["ledger_account"] == "1.1.1.10"
    assert [s["id"] for s in call(http, tenant, "GET", "/v1/bank-statements")[1]["data"]] == [again["id"], first["id"]]


def test_the_texts_dates_and_signs_come_through_as_the_bank_meant_them(http, tenant):
    upload(http, tenant, (SAMPLES / "bb_sgml_1252.ofx").read_bytes())
    got = sorted((t["posted_on"], t["amount_cents"], t["description"], t["fitid"]) for t in lines(http, tenant))
    assert got == [("2026-12-01", -1250, "Tarifa Pacote de Serviços", "20261201002"),
                   ("2026-12-01", 15000, "Pix - Recebido 01/12 10:15 JOÃO DA SILVA", "20261201001"),
                   ("2026-12-02", 8990, "Liquidação de cobrança", "20261202001")]
    upload(http, tenant, (SAMPLES / "santander_decimal_comma.ofx").read_bytes())
    santander = {t["fitid"]: t for t in lines(http, tenant) if t["fitid"] in ("000001", "000002")}
    # 23:30 at -3 is still the 2nd in Brasília (in UTC it would be the 3rd).
    assert (santander["000002"]["posted_on"], santander["000002"]["amount_cents"]) == ("2026-12-02", -4590)
    assert santander["000001"]["amount_cents"] == 123456


def test_a_fitid_reused_for_another_line_is_a_new_line_and_identical_lines_in_one_file_are_kept(http, tenant):
    today = app_today()
    first = ofx([(today, 1000, "TARIFA AVULSA", "77"), (today, 1000, "TARIFA AVULSA", "77"),
                 (today, 2500, "PIX RECEBIDO", "77")])
    status, body = upload(http, tenant, first)
    assert (body["transactions"], body["duplicates"]) == (3, 0)
    # An overlapping download of the same days, one day more: only the new line is stored.
    longer = ofx([(today, 1000, "TARIFA AVULSA", "77"), (today, 1000, "TARIFA AVULSA", "77"),
                  (today, 2500, "PIX RECEBIDO", "77"), (today + timedelta(days=1), 4000, "PIX RECEBIDO", "78")])
    status, body = upload(http, tenant, longer)
    assert (status, body["transactions"], body["duplicates"]) == (201, 1, 3)


@pytest.mark.parametrize("raw, field", [
    (b"", "body"),
    (b"   \n", "body"),
    (b"hello, this is not a statement", "body"),
    (b"OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>", "body"),
    (b"OFXHEADER:100\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><BANKTRANLIST><STMTTRN><TRNAMT>abc", "body"),
    (b"<?xml version='1.0'?><OFX><broken", "body"),
    (b"0" * 7 + b"0" + b" " * 232 + b"\r\n" + b"short line\r\n", "body.line.2"),
])
def test_unreadable_files_are_400_naming_the_body_and_store_nothing(http, tenant, raw, field):
    status, body = upload(http, tenant, raw)
    assert status == 400 and body["code"] == "invalid_request", body
    assert field in fields(body)
    assert lines(http, tenant) == [] and call(http, tenant, "GET", "/v1/bank-accounts")[1]["data"] == []


def test_a_cnab_remessa_is_refused(http, tenant):
    raw = bytearray(retorno([]))
    raw[142] = ord("1")
    status, body = upload(http, tenant, bytes(raw), "text/plain")
    assert status == 400 and "retorno" in body["detail"]


def test_a_cnab_retorno_settles_each_boleto_by_its_nosso_numero_once(http, tenant, customer):
    paid_on_time = new_charge(http, tenant, customer, amount_cents=15_000)
    paid_late = new_charge(http, tenant, customer, amount_cents=20_000)
    from chalicelib.reconciliation.cnab240 import Title

    entry_only = Title(our_number="99999999999", paid_cents=0, due_date=app_today(), face_value_cents=1,
                       occurred_on=app_today(), movement="02")
    raw = retorno([title(paid_on_time, fee_cents=250), title(paid_late, paid=20_530, fine_interest_cents=530),
                   entry_only])
    status, body = upload(http, tenant, raw, "text/plain")
    assert status == 201, body
    assert (body["format"], body["transactions"], body["matched"], body["unmatched"], body["skipped"]) == (
        "cnab240", 2, 2, 0, 1)
    for charge, paid in ((paid_on_time, 15_000), (paid_late, 20_530)):
        after = charge_of(http, tenant, charge["id"])
        assert (after["status"], after["paid_amount_cents"]) == ("paid", paid)
    got = {t["our_number"]: t for t in lines(http, tenant, "?status=matched")}
    assert got[paid_on_time["boleto"]["our_number"].lstrip("0")]["fee_cents"] == 250
    assert got[paid_late["boleto"]["our_number"].lstrip("0")]["fine_interest_cents"] == 530
    assert {t["match"]["charge_id"] for t in got.values()} == {paid_on_time["id"], paid_late["id"]}
    # The same retorno again: every line a duplicate, nothing settled twice.
    status, again = upload(http, tenant, raw, "text/plain")
    assert (again["transactions"], again["duplicates"], again["matched"]) == (0, 2, 0)
    assert len(charge_of(http, tenant, paid_on_time["id"])["payments"]) == 1


def test_a_pix_credit_naming_our_txid_settles_that_charge(http, tenant, customer):
    charge = new_charge(http, tenant, customer, method="pix", amount_cents=9_999)
    memo = f"PIX RECEBIDO COBRANCA {charge['pix']['txid']}"
    status, body = upload(http, tenant, ofx([(app_today(), 9_999, memo, "PIX-1")]))
    assert (status, body["matched"]) == (201, 1)
    line = lines(http, tenant)[0]
    assert line["match"] == {"charge_id": charge["id"], "payable_id": None, "ledger_account": None,
                             "how": "reference"}
    after = charge_of(http, tenant, charge["id"])
    assert after["status"] == "paid" and after["payments"][0]["source"] == "statement"


def test_amount_and_date_match_only_with_exactly_one_open_candidate(http, tenant, customer):
    from tests.clock import days_ahead

    lonely = new_charge(http, tenant, customer, method="pix", amount_cents=12_345, due_date=days_ahead(3))
    twin_a = new_charge(http, tenant, customer, method="pix", amount_cents=5_000, due_date=days_ahead(2))
    twin_b = new_charge(http, tenant, customer, method="pix", amount_cents=5_000, due_date=days_ahead(4))
    far = new_charge(http, tenant, customer, method="pix", amount_cents=7_700, due_date=days_ahead(40))
    today = app_today()
    _status, body = upload(http, tenant, ofx([(today, 12_345, "PIX RECEBIDO FULANO", "A1"),
                                             (today, 5_000, "PIX RECEBIDO CICLANO", "A2"),
                                             (today, 7_700, "PIX RECEBIDO BELTRANO", "A3"),
                                             (today, -12_345, "PIX ENVIADO", "A4")]))
    assert (body["transactions"], body["matched"], body["unmatched"]) == (4, 1, 3)
    assert charge_of(http, tenant, lonely["id"])["status"] == "paid"
    for other in (twin_a, twin_b, far):
        assert charge_of(http, tenant, other["id"])["status"] == "pending"


def test_a_line_for_a_charge_a_notice_paid_confirms_it_and_pays_nothing_twice(http, tenant, customer):
    charge = new_charge(http, tenant, customer, amount_cents=15_000)
    raw = notice(tenant, charge, event_id="psp-1")
    assert post_notice(http, raw, signed(secret_of(http, tenant), raw))[0] == 200
    _status, body = upload(http, tenant, retorno([title(charge)]), "text/plain")
    assert body["matched"] == 1
    after = charge_of(http, tenant, charge["id"])
    assert (after["status"], after["paid_amount_cents"], after["overpaid_cents"]) == ("paid", 15_000, 0)
    assert [p["outcome"] for p in after["payments"]] == ["paid", "confirmed"]
    # And the other way round: the statement first, then the provider's notice of the same money.
    second = new_charge(http, tenant, customer, amount_cents=18_000)
    upload(http, tenant, retorno([title(second)]), "text/plain")
    raw = notice(tenant, second, event_id="psp-2")
    assert post_notice(http, raw, signed(secret_of(http, tenant), raw))[0] == 200
    after = charge_of(http, tenant, second["id"])
    assert [p["outcome"] for p in after["payments"]] == ["paid", "confirmed"] and after["paid_amount_cents"] == 18_000


def test_a_person_matches_an_unmatched_line_once_and_ignores_another(http, tenant, customer):
    charge = new_charge(http, tenant, customer, method="pix", amount_cents=30_000)
    upload(http, tenant, ofx([(app_today(), 29_990, "TED RECEBIDA CLIENTE", "T1"),
                              (app_today(), 29_990, "TED RECEBIDA CLIENTE 2", "T2"),
                              (app_today(), -800, "TRANSF ENTRE CONTAS", "T3")]))
    first, second, debit = sorted(lines(http, tenant), key=lambda t: t["fitid"])
    status, matched = call(http, tenant, "POST", f"/v1/bank-transactions/{first['id']}/match",
                           {"charge_id": charge["id"]})
    assert status == 200, matched
    assert matched["status"] == "matched" and matched["match"]["how"] == "manual"
    after = charge_of(http, tenant, charge["id"])
    assert after["paid_amount_cents"] == 29_990 and after["status"] == "pending"  # underpaid: stays open
    status, again = call(http, tenant, "POST", f"/v1/bank-transactions/{first['id']}/match",
                         {"charge_id": charge["id"]})
    assert (status, again["code"]) == (409, "invalid_state")
    status, taken = call(http, tenant, "POST", f"/v1/bank-transactions/{second['id']}/match",
                         {"charge_id": charge["id"]})
    assert (status, taken["code"]) == (409, "invalid_state") and "charge_id" in fields(taken)
    status, body = call(http, tenant, "POST", f"/v1/bank-transactions/{debit['id']}/match",
                        {"charge_id": charge["id"]})
    assert status == 400 and "charge_id" in fields(body)
    status, ignored = call(http, tenant, "POST", f"/v1/bank-transactions/{debit['id']}/ignore")
    assert (status, ignored["status"]) == (200, "ignored")
    assert call(http, tenant, "POST", f"/v1/bank-transactions/{debit['id']}/ignore")[0] == 409
    assert [t["id"] for t in lines(http, tenant, "?status=unmatched")] == [second["id"]]
    assert [t["id"] for t in lines(http, tenant, "?status=ignored")] == [debit["id"]]
    assert len(charge_of(http, tenant, charge["id"])["payments"]) == 1


@pytest.mark.parametrize("body, field", [
    ({}, "body"), ({"charge_id": "chg_x"}, "charge_id"), ({"charge_id": None, "payable_id": None}, "body"),
    ({"charge_id": "chg_01ARZ3NDEKTSV4RRFFQ69G5FAV", "extra": 1}, "extra"),
])
def test_bad_match_bodies_are_400(http, tenant, body, field):
    upload(http, tenant, ofx([(app_today(), 100, "PIX", "X1")]))
    line = lines(http, tenant)[0]
    status, problem = call(http, tenant, "POST", f"/v1/bank-transactions/{line['id']}/match", body)
    assert status == 400 and field in fields(problem), problem


def test_unknown_lines_charges_and_another_tenants_are_404(http, tenant, customer):
    from tests.api.conftest import tenant_body
    from tests.conftest import ADMIN

    upload(http, tenant, ofx([(app_today(), 100, "PIX", "X1")]))
    line = lines(http, tenant)[0]
    assert call(http, tenant, "POST", f"/v1/bank-transactions/{line['id']}/match",
                {"charge_id": "chg_01ARZ3NDEKTSV4RRFFQ69G5FAV"})[0] == 404
    assert call(http, tenant, "GET", "/v1/bank-transactions/btx_01ARZ3NDEKTSV4RRFFQ69G5FAV")[0] == 404
    assert call(http, tenant, "GET", "/v1/bank-statements/nope")[0] == 404
    other = json.loads(http.request("POST", "/v1/tenants", tenant_body(cnpj="45997418000153"), ADMIN).body)
    other["headers"] = {"Authorization": f"Bearer {other['api_key']}"}
    assert call(http, other, "GET", f"/v1/bank-transactions/{line['id']}")[0] == 404
    assert call(http, other, "GET", "/v1/bank-transactions")[1]["data"] == []


def test_the_consumer_settles_a_match_a_crash_left_unsettled_and_a_repeat_changes_nothing(http, tenant, customer):
    charge = new_charge(http, tenant, customer, method="pix", amount_cents=4_200)
    upload(http, tenant, ofx([(app_today(), 4_200, "PIX RECEBIDO", "C1")]))
    events = call(http, tenant, "GET", "/v1/events?type=bank_transaction.matched")[1]["data"]
    assert len(events) == 1
    for attempt in range(2):
        assert deliver_event("reconciliation_consumer", "bank_transaction.matched", tenant, events[0]["data"],
                             f"{events[0]['id']}-{attempt}") == {"batchItemFailures": []}
    after = charge_of(http, tenant, charge["id"])
    assert len(after["payments"]) == 1 and after["paid_amount_cents"] == 4_200
    imported = call(http, tenant, "GET", "/v1/events?type=bank_statement.imported")[1]["data"]
    assert imported[0]["data"]["bank_statement"]["matched"] == 1


# --- the books: rules, categories, the balance check ---------------------------------------------------------

def deliver_all(http, tenant, *event_types: str) -> None:
    """Hand the tenant's events of these types to the ledger consumer (the test client runs no queues)."""
    from tests.api.test_ledger import deliver

    for event_type in event_types:
        deliver(http, tenant, event_type)


def trial(http, tenant) -> dict[str, int]:
    from tests.api.test_ledger import balances

    return balances(http, tenant)


@pytest.fixture(autouse=True)
def audited(tenant):
    """The books' invariants (every entry balanced, each event posted once, totals equal the journal) after
    every scenario."""
    yield
    from chalicelib.ledger.invariants import audit
    from tests.deps import root

    assert audit(tenant["id"], root().ledger_repository) == []


def test_rules_categorize_lines_on_import_and_bad_rules_are_400(http, tenant):
    status, rule = call(http, tenant, "POST", "/v1/bank-rules",
                        {"description_contains": "tarifa pacote", "direction": "debit", "ledger_account": "4.3.01"})
    assert status == 201 and rule["id"].startswith("rul_"), rule
    for body, field in (({"description_contains": "x y", "direction": "debit", "ledger_account": "4.3"}, "ledger_account"),
                        ({"description_contains": "x y", "direction": "debit", "ledger_account": "9.9"}, "ledger_account"),
                        ({"description_contains": "x y", "direction": "sideways", "ledger_account": "4.3.01"}, "direction"),
                        ({"description_contains": "", "direction": "debit", "ledger_account": "4.3.01"},
                         "description_contains")):
        status, problem = call(http, tenant, "POST", "/v1/bank-rules", body)
        assert status == 400 and field in fields(problem), (body, problem)
    status, body = upload(http, tenant, (SAMPLES / "bb_sgml_1252.ofx").read_bytes())
    assert (body["transactions"], body["categorized"], body["matched"], body["unmatched"]) == (3, 1, 1, 2)
    (fee,) = lines(http, tenant, "?status=matched")
    assert fee["description"] == "Tarifa Pacote de Serviços"
    assert fee["match"] == {"charge_id": None, "payable_id": None, "ledger_account": "4.3.01", "how": "rule"}
    assert [r["id"] for r in call(http, tenant, "GET", "/v1/bank-rules")[1]["data"]] == [rule["id"]]
    assert call(http, tenant, "DELETE", f"/v1/bank-rules/{rule['id']}") == (200, rule)
    assert call(http, tenant, "DELETE", f"/v1/bank-rules/{rule['id']}")[0] == 404
    assert call(http, tenant, "GET", "/v1/bank-rules")[1]["data"] == []


def test_a_statement_reconciled_to_the_last_line_balances_with_the_books(http, tenant, customer):
    charge = new_charge(http, tenant, customer, method="pix", amount_cents=15_000)
    today = app_today()
    raw = ofx([(today, 15_000, f"PIX RECEBIDO {charge['pix']['txid']}", "B1"),
               (today, -1_250, "TARIFA PACOTE", "B2"), (today, 50_000, "TED RECEBIDA SOCIO", "B3")],
              balance_cents=100_000 + 15_000 - 1_250 + 50_000)  # the account held R$ 1.000,00 before
    status, statement = upload(http, tenant, raw)
    assert (statement["matched"], statement["unmatched"]) == (1, 2)
    fee, capital = sorted(lines(http, tenant, "?status=unmatched"), key=lambda t: t["fitid"])
    for line, account in ((fee, "4.3"), (fee, "1.1.1.10"), (fee, "7.7.7")):
        status, problem = call(http, tenant, "POST", f"/v1/bank-transactions/{line['id']}/categorize",
                               {"ledger_account": account})
        assert status == 400 and "ledger_account" in fields(problem), problem
    assert call(http, tenant, "POST", f"/v1/bank-transactions/{fee['id']}/categorize",
                {"ledger_account": "4.3.01"})[1]["match"]["ledger_account"] == "4.3.01"
    assert call(http, tenant, "POST", f"/v1/bank-transactions/{fee['id']}/categorize",
                {"ledger_account": "4.3.01"})[0] == 409
    check = call(http, tenant, "GET", f"/v1/bank-statements/{statement['id']}")[1]["balance_check"]
    assert (check["unmatched_lines"], check["balanced"]) == (1, False)
    call(http, tenant, "POST", f"/v1/bank-transactions/{capital['id']}/categorize", {"ledger_account": "2.3.1.01"})
    deliver_all(http, tenant, "charge.created", "charge.paid", "bank_statement.imported", "bank_transaction.matched")
    check = call(http, tenant, "GET", f"/v1/bank-statements/{statement['id']}")[1]["balance_check"]
    assert check == {"ledger_account": "1.1.1.10", "statement_balance_cents": 163_750, "ledger_balance_cents": 163_750,
                     "difference_cents": 0, "unmatched_lines": 0, "balanced": True}
    books = trial(http, tenant)
    assert books["1.1.1.10"] == 163_750 and books.get("1.1.1.02", 0) == 0  # the Pix moved on to the account
    assert (books["2.3.2.01"], books["4.3.01"], books["2.3.1.01"]) == (100_000, 1_250, 50_000)
    accounts = {a["code"]: a for a in call(http, tenant, "GET", "/v1/ledger/accounts")[1]["data"]}
    assert accounts["1.1.1.10"]["name"] == "Banco 341 ag 412 cc 987654"
    # Everything delivered again books nothing twice.
    deliver_all(http, tenant, "bank_statement.imported", "bank_transaction.matched")
    assert trial(http, tenant) == books

"""Reconciliation through `make run`'s stack: a CNAB 240 retorno settles its boleto by the nosso número, an
OFX statement's Pix credit settles its charge by the txid, the payments reach the ledger through the bus,
the same file twice stores nothing, and a person ignores the fee line that is left."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.platform.clock import business_date
from chalicelib.reconciliation.cnab240 import Title, write_retorno
from tests.api.conftest import tenant_body
from tests.api.test_bank_statements import ofx
from tests.api.test_catalog import customer_body

pytestmark = pytest.mark.e2e


def test_statements_settle_charges_and_reach_the_books(stack):
    created = stack.call("POST", "/v1/tenants", stack.admin_key, tenant_body(cnpj="11444777000161"))
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]
    customer = stack.call("POST", "/v1/customers", key, customer_body()).json()
    today = business_date(datetime.now(UTC))  # the stack runs on this machine's clock too
    due = (today + timedelta(days=5)).isoformat()
    boleto = stack.call("POST", "/v1/charges", key, {"customer_id": customer["id"], "amount_cents": 15_000,
                                                    "due_date": due, "method": "boleto",
                                                    "description": "Mensalidade"}).json()
    pix = stack.call("POST", "/v1/charges", key, {"customer_id": customer["id"], "amount_cents": 8_990,
                                                 "due_date": due, "method": "pix", "description": "Avulso"}).json()

    retorno = write_retorno("001", "1234", "123456", "7", today, [Title(
        our_number=boleto["boleto"]["our_number"], paid_cents=15_000, due_date=date.fromisoformat(due),
        face_value_cents=15_000, occurred_on=today, fee_cents=250)])
    answer = stack.call("POST", "/v1/bank-statements", key, data=retorno, headers={"Content-Type": "text/plain"})
    assert answer.status_code == 201, answer.text
    assert (answer.json()["format"], answer.json()["matched"]) == ("cnab240", 1)

    statement = ofx([(today, 8_990, f"PIX RECEBIDO {pix['pix']['txid']}", "OFX-1"),
                     (today, -1_250, "TARIFA PACOTE DE SERVICOS", "OFX-2")])
    answer = stack.call("POST", "/v1/bank-statements", key, data=statement,
                        headers={"Content-Type": "application/x-ofx"})
    assert answer.status_code == 201, answer.text
    assert (answer.json()["transactions"], answer.json()["matched"], answer.json()["unmatched"]) == (2, 1, 1)
    again = stack.call("POST", "/v1/bank-statements", key, data=statement,
                       headers={"Content-Type": "application/x-ofx"}).json()
    assert (again["transactions"], again["duplicates"]) == (0, 2)

    for charge in (boleto, pix):
        paid = stack.call("GET", f"/v1/charges/{charge['id']}", key).json()
        assert paid["status"] == "paid" and paid["payments"][0]["source"] == "statement"

    def bank() -> int:
        rows = stack.call("GET", "/v1/ledger/trial-balance", key).json()["accounts"]
        return next((r["balance_cents"] for r in rows if r["code"] == "1.1.1.02"), 0)

    stack.wait_for(lambda: bank() == 15_000 + 8_990)
    (fee,) = stack.call("GET", "/v1/bank-transactions?status=unmatched", key).json()["data"]
    ignored = stack.call("POST", f"/v1/bank-transactions/{fee['id']}/ignore", key, {"reason": "tarifa"})
    assert ignored.status_code == 200 and ignored.json()["status"] == "ignored"
    accounts = stack.call("GET", "/v1/bank-accounts", key).json()["data"]
    assert sorted(a["bank_code"] for a in accounts) == ["001", "341"]

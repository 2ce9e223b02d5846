"""Reconciliation through `make run`'s stack: a CNAB 240 retorno settles its boleto by the nosso número, an
OFX statement's Pix credit settles its charge by the txid, the payments reach the ledger through the bus,
the same file twice stores nothing, a person books the fee line that is left, and the statement's balance
check then agrees with the books."""

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

    for charge in (boleto, pix):  # the reconciliation queue settles what the import matched
        paid = stack.wait_for(lambda c=charge: (lambda got: got if got["status"] == "paid" else None)(
            stack.call("GET", f"/v1/charges/{c['id']}", key).json()))
        assert paid["payments"][0]["source"] == "statement"

    def bank() -> int:
        rows = stack.call("GET", "/v1/ledger/trial-balance", key).json()["accounts"]
        return next((r["balance_cents"] for r in rows if r["code"] == "1.1.1.02"), 0)

    # The boleto's money waits in 1.1.1.02 (the bank's own statement will show it); the Pix moved on to
    # the statement's account 1.1.1.10.
    stack.wait_for(lambda: bank() == 15_000)
    (fee,) = stack.call("GET", "/v1/bank-transactions?status=unmatched", key).json()["data"]
    booked = stack.call("POST", f"/v1/bank-transactions/{fee['id']}/categorize", key, {"ledger_account": "4.3.01"})
    assert booked.status_code == 200 and booked.json()["status"] == "matched"
    check = stack.wait_for(lambda: (stack.call("GET", f"/v1/bank-statements/{answer.json()['id']}", key)
                                    .json()["balance_check"] or {}).get("balanced") and True)
    assert check
    accounts = stack.call("GET", "/v1/bank-accounts", key).json()["data"]
    assert sorted(a["bank_code"] for a in accounts) == ["001", "341"]


def test_an_orders_boleto_is_settled_by_the_banks_retorno(stack):
    from tests.api.test_catalog import product_body

    created = stack.call("POST", "/v1/tenants", stack.admin_key, tenant_body(cnpj="34028316000103"))
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]
    customer = stack.call("POST", "/v1/customers", key, customer_body()).json()
    assert stack.call("POST", "/v1/products", key, product_body(sku="CAB-1", gtin=None, min_stock=0)).status_code == 201
    stack.call("POST", "/v1/stock/movements", key, {"sku": "CAB-1", "type": "receipt", "quantity": 5})
    order = stack.call("POST", "/v1/orders", key, {"customer_id": customer["id"], "lines": [{"sku": "CAB-1",
                                                                                            "quantity": 1}],
                                                   "payment": {"method": "boleto"}}).json()
    charge = stack.wait_for(lambda: [c for c in stack.call("GET", "/v1/charges", key).json()["data"]
                                     if c["order_id"] == order["id"]])[0]
    today = business_date(datetime.now(UTC))
    retorno = write_retorno("001", "1234", "123456", "7", today, [Title(
        our_number=charge["boleto"]["our_number"], paid_cents=charge["amount_cents"],
        due_date=date.fromisoformat(charge["due_date"]), face_value_cents=charge["amount_cents"], occurred_on=today)])
    answer = stack.call("POST", "/v1/bank-statements", key, data=retorno, headers={"Content-Type": "text/plain"})
    assert answer.status_code == 201 and answer.json()["matched"] == 1, answer.text
    stack.wait_for(lambda: stack.call("GET", f"/v1/orders/{order['id']}", key).json()["payment_status"] == "paid")

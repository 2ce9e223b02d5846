"""A late charge's instrument for today: the local provider's 2ª via keeps the boleto's bank and nosso
número (its campo livre) with the day's vencimento and amount, and the cobv's txid with the day's amount;
each decodes and checks as a fresh one would."""

from __future__ import annotations

from datetime import date

from chalicelib.collections import boleto, pix
from chalicelib.collections.model import Charge
from chalicelib.collections.providers import IssueRequest, Payee, Payer
from chalicelib.collections.providers.local import LocalProvider

PAYEE = Payee("ten_01JAAAAAAAAAAAAAAAAAAAAAAA", "Loja Exemplo", "São Paulo", "11222333000181", "001", "1234", "56789",
              "1234567", "11222333000181")
DUE, LATER = date(2026, 3, 5), date(2026, 3, 12)


def issued_charge() -> Charge:
    provider = LocalProvider(lambda _t, c: f"http://x/{c}")
    request = IssueRequest(charge_id="chg_01JBBBBBBBBBBBBBBBBBBBBBBB", method="boleto", amount_cents=10_000,
                           due_date=DUE, description="Pedido", payee=PAYEE,
                           payer=Payer("cus_01JAAAAAAAAAAAAAAAAAAAAAAA", "Maria", "52998224725", None), nosso_numero=42)
    issued = provider.issue(request)
    return Charge(id=request.charge_id, customer_id=request.payer.customer_id, description="Pedido", method="boleto",
                  amount_cents=10_000, due_date=DUE, fine_percent=2, interest_monthly_percent=1, payer_is_consumer=True,
                  boleto=issued.boleto, pix=issued.pix, created_at="x", updated_at="x")


def test_the_updated_boleto_keeps_its_nosso_numero_with_todays_due_date_and_amount():
    charge = issued_charge()
    owed = charge.amount_due_on(LATER)
    updated = LocalProvider(lambda _t, c: c).updated(charge, PAYEE, LATER, owed)
    assert updated.boleto is not None and charge.boleto is not None
    assert boleto.validate_barcode(updated.boleto.barcode) == updated.boleto.barcode
    assert updated.boleto.barcode[19:] == charge.boleto.barcode[19:]  # the campo livre: bank data, nosso número
    assert updated.boleto.our_number == charge.boleto.our_number
    assert updated.boleto.barcode[5:9] == boleto.fator_vencimento(LATER)
    assert int(updated.boleto.barcode[9:19]) == owed == 10_223
    assert updated.boleto.digitable_line == boleto.barcode_to_linha(updated.boleto.barcode)


def test_the_updated_pix_keeps_its_txid_with_todays_amount():
    charge = issued_charge()
    updated = LocalProvider(lambda _t, c: c).updated(charge, PAYEE, LATER, 10_223)
    assert updated.pix is not None and charge.pix is not None and updated.pix.txid == charge.pix.txid
    parsed = pix.parse_brcode(updated.pix.brcode)
    assert parsed.amount_cents == 10_223 and charge.pix.txid in updated.pix.brcode

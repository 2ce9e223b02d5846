"""The built-in provider: boleto (BB convênio 7 layout), Pix cobv BR Code and a sandbox checkout link.

Its notices reach `POST /v1/psp/local/webhooks` signed with the tenant's `local` webhook secret, exactly
like a real provider's (see `sandbox_notice`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

from chalicelib.collections import boleto, pix
from chalicelib.collections.model import BoletoInfo, CardLinkInfo, Charge, PixInfo
from chalicelib.collections.providers import Issued, IssueRequest, Payee, PaymentNotice
from chalicelib.platform.errors import FieldError, InvalidRequestError

NAME = "local"
# The documented local agreement is BB carteira 17; the layout table selects by bank, convênio and carteira.
CARTEIRA = "17"
# Where the local provider "hosts" its cobv payloads (a BR Code location goes without a scheme).
PIX_LOCATION_HOST = "pix.retaguarda.local/v2/cobv"


class PixKeyRequiredError(InvalidRequestError):
    """A Pix charge needs the tenant's Pix key (settings.collections.pix_key)."""

    code = "pix_key_required"


def settings_problems(bank_code: str, agreement: str | None = None) -> dict[str, str]:
    """Why the local provider could not build boletos with a tenant's bank and agreement, by settings
    field (`bank_code`, `agreement`); empty when it can. The layout table decides: the agreement is the
    layout's convênio, the carteira is ours."""
    rows = boleto.layouts_of_bank(bank_code, CARTEIRA)
    if not rows:
        banks = sorted({lay.bank_code for lay in boleto.LAYOUTS if CARTEIRA in lay.carteiras})
        return {"bank_code": f"has no boleto layout (carteira {CARTEIRA}); supported banks: {', '.join(banks)}"}
    params = {"convenio": agreement or "", "carteira": CARTEIRA}
    if agreement is not None and not any(boleto.layout_fits(row, params) for row in rows):
        widths = sorted({p.width for row in rows for p in row.params if p.name == "convenio"})
        return {"agreement": f"must be a convênio of {' or '.join(str(w) for w in widths)} digits for bank {bank_code}"}
    return {}


class LocalProvider:
    name = NAME

    def __init__(self, checkout_url: Callable[[str, str], str]) -> None:
        self._checkout_url = checkout_url

    def issue(self, request: IssueRequest) -> Issued:
        payee = request.payee
        txid = pix.txid_from_id(request.charge_id)
        brcode = None
        if payee.pix_key and request.method in ("pix", "boleto"):
            # A cobv: the txid lives behind the location; a boleto with a Pix key is a boleto híbrido.
            brcode = pix.build_brcode(name=payee.name, city=payee.city, location=f"{PIX_LOCATION_HOST}/{txid}",
                                      amount_cents=request.amount_cents)
        elif request.method == "pix":
            raise PixKeyRequiredError("The tenant has no Pix key; set settings.collections.pix_key.",
                                      [FieldError("method", "pix needs the tenant's Pix key")])
        issued_boleto = None
        if request.method == "boleto":
            assert request.nosso_numero is not None
            encoded = boleto.encode(payee.bank_code, request.due_date, request.amount_cents,
                                    {"convenio": payee.agreement, "carteira": CARTEIRA}, request.nosso_numero)
            issued_boleto = BoletoInfo(bank_code=payee.bank_code, our_number=encoded.nosso_numero,
                                       barcode=encoded.barcode, digitable_line=encoded.linha_digitavel,
                                       layout=encoded.layout)
        card = None
        if request.method == "card_link":
            card = CardLinkInfo(url=self._checkout_url(payee.tenant_id, request.charge_id))
        return Issued(boleto=issued_boleto, pix=PixInfo(txid=txid, brcode=brcode) if brcode else None,
                      card_link=card, provider_charge_id=None)

    def updated(self, charge: Charge, payee: Payee, day: date, amount_cents: int) -> Issued:
        """A 2ª via atualizada: the boleto keeps its nosso número (the campo livre) with today's vencimento
        and amount; the cobv keeps its txid with today's amount; the card link is the same link."""
        issued_boleto = None
        if charge.boleto is not None:
            barcode = boleto.build_barcode(charge.boleto.bank_code, boleto.fator_vencimento(day), amount_cents,
                                           charge.boleto.barcode[19:])
            issued_boleto = charge.boleto.model_copy(update={"barcode": barcode,
                                                             "digitable_line": boleto.barcode_to_linha(barcode)})
        issued_pix = None
        if charge.pix is not None:
            brcode = pix.build_brcode(name=payee.name, city=payee.city,
                                      location=f"{PIX_LOCATION_HOST}/{charge.pix.txid}", amount_cents=amount_cents)
            issued_pix = PixInfo(txid=charge.pix.txid, brcode=brcode)
        return Issued(boleto=issued_boleto, pix=issued_pix, card_link=charge.card_link,
                      provider_charge_id=charge.provider_charge_id)


def notice_body(notice: PaymentNotice) -> bytes:
    """The local provider's notice as it travels: JSON, the tenant and its own event id included."""
    return json.dumps({"id": notice.event_id, "type": "payment.received", "tenant_id": notice.tenant_id,
                       "charge_id": notice.charge_id, "amount_cents": notice.amount_cents,
                       "paid_at": notice.paid_at, "method": notice.method}, separators=(",", ":")).encode()

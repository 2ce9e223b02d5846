"""Supplier NF-e for the purchasing tests: made by our own emitter (a supplier as the issuer, the tenant as
the recipient), signed with the supplier's own test A1, optionally wrapped in an nfeProc; and reworked by
hand into other layouts (no cobr, other units, IBS/CBS groups), signed again."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache

from lxml import etree

from chalicelib.invoicing.nfe_input import IBSCBS_2026, Invoice, Issuer, Item, Recipient
from chalicelib.invoicing.nfe_xml import build_nfe
from chalicelib.invoicing.proc import build_nfe_proc, build_prot_nfe, protocol_for
from chalicelib.invoicing.signing import SigningKey, generate_test_certificate, load_pkcs12, sign_nfe
from tests.unit.test_nfe_factories import NORMAL, RJ, SP, SP_2, invoice

SUPPLIER_CNPJ = "45723174000110"
SUPPLIER = Issuer(SUPPLIER_CNPJ, "110042490114", "Distribuidora Paulista de Cafés Ltda", "Dist. Paulista", SP_2,
                  "regime_normal")
NS = "http://www.portalfiscal.inf.br/nfe"
ITEMS = (
    Item("CF-500-TRAD", "Café torrado tradicional 500g", "09012100", "5102", "UN", 24, 1890, gtin="7891234567895"),
    Item("FLT-103", "Filtro de papel 103 c/30", "48239099", "5102", "CX", 10, 450),
    Item("CAN-PORC", "Caneca de porcelana 300ml", "69120000", "5102", "UN", 12, 2290),
)


@cache
def supplier_key() -> SigningKey:
    data, password = generate_test_certificate(SUPPLIER_CNPJ, "DISTRIBUIDORA PAULISTA DE CAFES LTDA")
    return load_pkcs12(data, password)


def supplier_invoice(to_cnpj: str, *, nnf: int = 1001, items: tuple[Item, ...] = ITEMS, installments: int = 2,
                     interstate: bool = False, issued_at: datetime | None = None, tp_amb: str = "2") -> Invoice:
    base = invoice(tax_regime="regime_normal", tax=NORMAL, nnf=nnf, installments=installments, tp_amb=tp_amb)
    recipient = Recipient(to_cnpj, "Loja Exemplo LTDA", RJ if interstate else SP, email="compras@example.com",
                          ind_ie_dest="1", ie="86543210" if interstate else "110042490114")
    total = sum(i.total_cents for i in items)
    payment = base.payment
    if installments:
        parts = [total // installments + (total % installments if k == 0 else 0) for k in range(installments)]
        payment = replace(payment, installments=tuple(
            replace(payment.installments[0], due_date=payment.installments[0].due_date + timedelta(days=30 * k),
                    amount_cents=amount) for k, amount in enumerate(parts)))
    return replace(base, issuer=SUPPLIER, recipient=recipient, items=items, payment=payment,
                   issued_at=issued_at or base.issued_at)


def signed(inv: Invoice) -> bytes:
    return sign_nfe(build_nfe(inv).xml, supplier_key())


def with_protocol(signed_nfe: bytes) -> bytes:
    protocol = protocol_for(signed_nfe, nprot="135260000012345", received_at=datetime.fromisoformat(
        "2026-11-22T10:31:00-03:00"))
    return build_nfe_proc(signed_nfe, build_prot_nfe(protocol))


def supplier_nfe(to_cnpj: str, **kwargs: object) -> bytes:
    """A signed supplier NFe addressed to `to_cnpj` (our emitter's layout)."""
    return signed(supplier_invoice(to_cnpj, **kwargs))  # type: ignore[arg-type]


def reworked(signed_nfe: bytes, *, drop_cobr: bool = False, units: dict[str, tuple[str, str]] | None = None,
             ibscbs: bool = False) -> bytes:
    """Another emitter's layout of the same NF-e, signed again: without cobr, with other commercial units
    (cProd → (uCom, qCom), vUnCom recomputed), keeping the XSD's order."""
    root = etree.fromstring(signed_nfe)
    inf = root.find(f"{{{NS}}}infNFe")
    signature = root.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    root.remove(signature)
    if drop_cobr and (cobr := inf.find(f"{{{NS}}}cobr")) is not None:
        inf.remove(cobr)
        pag = inf.find(f"{{{NS}}}pag/{{{NS}}}detPag")
        pag.find(f"{{{NS}}}tPag").text = "01"  # dinheiro, paid on delivery
    for prod in inf.iter(f"{{{NS}}}prod"):
        code = prod.findtext(f"{{{NS}}}cProd")
        if units and code in units:
            unit, quantity = units[code]
            total = Decimal(prod.findtext(f"{{{NS}}}vProd"))
            prod.find(f"{{{NS}}}uCom").text = unit
            prod.find(f"{{{NS}}}qCom").text = quantity
            prod.find(f"{{{NS}}}vUnCom").text = f"{total / Decimal(quantity):.10f}"
    xml = etree.tostring(root, encoding="UTF-8")
    return sign_nfe(xml, supplier_key())


def with_ibscbs(to_cnpj: str, **kwargs: object) -> bytes:
    inv = supplier_invoice(to_cnpj, **kwargs)  # type: ignore[arg-type]
    return signed(replace(inv, tax=replace(NORMAL, ibscbs=IBSCBS_2026)))


def tampered(signed_nfe: bytes) -> bytes:
    """The same signed NF-e with one quantity changed after signing (still XSD-valid)."""
    import re

    changed = re.sub(rb"<qCom>(\d+)\.", lambda m: b"<qCom>" + str(int(m.group(1)) + 1).encode() + b".", signed_nfe,
                     count=1)
    assert changed != signed_nfe
    return changed


__all__ = ["SP", "SUPPLIER_CNPJ", "reworked", "supplier_nfe", "tampered", "with_ibscbs", "with_protocol"]

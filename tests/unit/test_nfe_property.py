"""Property: any valid order gives a schema-valid, correctly signed NF-e whose totals add up."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from chalicelib.invoicing.chave import generate_cnf, parse_chave
from chalicelib.invoicing.nfe_input import (
    Address,
    Installment,
    Invoice,
    Issuer,
    Item,
    Payment,
    Recipient,
    TaxProfile,
)
from chalicelib.invoicing.nfe_xml import build_nfe
from chalicelib.invoicing.signing import sign_nfe, verify_signature
from chalicelib.invoicing.xsd import validate_nfe
from tests.unit.test_nfe_factories import ISSUED_AT, ISSUER_CNPJ, SP, signing_key
from tests.unit.test_nfe_xml import NS, assert_totals_add_up

ADDRESSES = [
    SP,
    Address("Av. Atlântica", "200", "Copacabana", "3304557", "Rio de Janeiro", "RJ", "22021001"),
    Address("Rua da Bahia", "S/N", "Centro", "3106200", "Belo Horizonte", "MG", "30160011"),
    Address("Rua dos Andradas", "1234", "Centro Histórico", "4314902", "Porto Alegre", "RS", "90020008"),
    Address("SQS 308 Bloco C", "12", "Asa Sul", "5300108", "Brasília", "DF", "70355030"),
]
CPFS = ["12345678909", "52998224725", "11144477735"]
CNPJS = ["45723174000110", "11444777000161", "19131243000197"]

# Letters people type (accents, ç), punctuation, and a few characters the XSD does not accept.
CHARS = [*"abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 áéíóúâêôãõçÇ-/.,()&<>'\"", "\t", "\n", "—", "“", "”", "Ł", "🙂",
         "\x00", "\x7f"]
TEXT = st.text(alphabet=st.sampled_from(CHARS), max_size=140)

simples_tax = st.builds(
    TaxProfile,
    csosn=st.sampled_from(["102", "103", "300", "400"]),
    pis_cst=st.sampled_from(["07", "49", "99"]),
    cofins_cst=st.sampled_from(["07", "49", "99"]),
)
normal_tax = st.builds(
    TaxProfile,
    csosn=st.none(),
    icms_cst=st.just("00"),
    icms_rate=st.sampled_from([Decimal(7), Decimal(12), Decimal(17), Decimal(18), Decimal("20.5"), Decimal(22)]),
    icms_interstate_rate=st.sampled_from([Decimal(4), Decimal(7), Decimal(12)]),
    icms_dest_rate=st.sampled_from([Decimal(17), Decimal(18), Decimal(20)]),
    pis_cst=st.just("01"),
    pis_rate=st.sampled_from([Decimal("0.65"), Decimal("1.65")]),
    cofins_cst=st.just("01"),
    cofins_rate=st.sampled_from([Decimal(3), Decimal("7.6")]),
)

items = st.lists(
    st.builds(
        Item,
        sku=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=60),
        name=TEXT.map(lambda t: "Produto " + t),
        ncm=st.sampled_from(["09012100", "69120000", "48239099", "85161000", "61091000"]),
        cfop=st.sampled_from(["5102", "5405", "6102"]),
        unit=st.sampled_from(["UN", "CX", "KG", "PC"]),
        quantity=st.integers(1, 500),
        unit_price_cents=st.integers(1, 2_000_000),
        gtin=st.sampled_from(["SEM GTIN", "7891234567895", "12345670"]),
        origin=st.integers(0, 8),
    ),
    min_size=1, max_size=8,
)


@st.composite
def invoices(draw: st.DrawFn) -> Invoice:
    regime = draw(st.sampled_from(["simples_nacional", "mei", "simples_nacional_excesso", "regime_normal"]))
    simples = regime in ("simples_nacional", "mei")
    is_company = draw(st.booleans())
    taxpayer = is_company and draw(st.booleans())
    recipient = Recipient(
        document=draw(st.sampled_from(CNPJS if is_company else CPFS)),
        name="Cliente " + draw(TEXT),
        address=draw(st.sampled_from(ADDRESSES)),
        email=draw(st.none() | st.emails().filter(lambda e: len(e) <= 60)),
        ind_ie_dest="1" if taxpayer else "9",
        ie="123456789" if taxpayer else None,
    )
    tax = draw(simples_tax if simples else normal_tax)
    lines = draw(items)
    shipping = draw(st.integers(0, 50_000))
    total = sum(i.total_cents for i in lines) + shipping
    n_parts = min(draw(st.integers(0, 4)), total)
    parts = [total // n_parts + (total % n_parts if k == 0 else 0) for k in range(n_parts)] if n_parts else []
    nnf = draw(st.integers(1, 999_999_999))
    return Invoice(
        issuer=Issuer(ISSUER_CNPJ, "123456789012", "Loja " + draw(TEXT), draw(st.none() | TEXT), SP, regime),
        recipient=recipient,
        items=tuple(lines),
        tax=tax,
        payment=Payment(draw(st.sampled_from(["boleto", "pix", "card_link"])),
                        tuple(Installment(date(2026, 12, 1) + timedelta(days=30 * k), p) for k, p in enumerate(parts))),
        serie=draw(st.integers(0, 999)),
        nnf=nnf,
        cnf=generate_cnf(nnf, random.Random(draw(st.integers(0, 2**32)))),
        issued_at=ISSUED_AT,
        tp_amb=draw(st.sampled_from(["1", "2"])),
        shipping_cents=shipping,
        additional_info=draw(st.none() | TEXT),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(inv=invoices())
def test_any_valid_order_gives_a_schema_valid_signed_nfe_whose_totals_add_up(inv: Invoice) -> None:
    built = build_nfe(inv)
    signed = sign_nfe(built.xml, signing_key())
    assert validate_nfe(signed) == []
    assert verify_signature(signed)
    assert_totals_add_up(signed)
    root = etree.fromstring(signed)
    key = parse_chave(built.chave)
    assert root.find("n:infNFe", NS).get("Id") == "NFe" + built.chave
    assert int(key.nnf) == inv.nnf and int(key.serie) == inv.serie and key.cnf == inv.cnf
    assert built.totals.vnf == sum(i.total_cents for i in inv.items) + inv.shipping_cents
    interstate = inv.recipient.address.uf != inv.issuer.address.uf
    assert root.findtext("n:infNFe/n:ide/n:idDest", namespaces=NS) == ("2" if interstate else "1")
    assert {c[0] for c in root.xpath("//n:det/n:prod/n:CFOP/text()", namespaces=NS)} == {"6" if interstate else "5"}

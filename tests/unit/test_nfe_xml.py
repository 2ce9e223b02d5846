"""Building the NF-e: XSD validity (signed), ide rules, totals, homologação texts, text sanitizing, input errors.

Invariant, asserted by `assert_totals_add_up` after every build:
    ICMSTot.vProd = Σ det.vProd;  vFrete = Σ det.vFrete;  vBC = Σ ICMS.vBC;  vICMS = Σ ICMS.vICMS;
    vPIS = Σ PIS.vPIS;  vCOFINS = Σ COFINS.vCOFINS;  vNF = vProd + vFrete;  Σ dup.vDup = fat.vLiq = vNF = Σ detPag.vPag
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from lxml import etree

from chalicelib.invoicing.chave import is_valid_chave, parse_chave
from chalicelib.invoicing.nfe_input import (
    HOMOLOGACAO_DEST_XNOME,
    HOMOLOGACAO_FIRST_XPROD,
    InvalidInvoiceError,
    Item,
)
from chalicelib.invoicing.nfe_xml import allocate, build_nfe, money, rate, sanitize_text
from chalicelib.invoicing.signing import sign_nfe
from chalicelib.invoicing.xsd import validate_nfe
from tests.unit.test_nfe_factories import NORMAL, SIMPLES, SIMPLES_CREDIT, company, invoice, person, read_binding, signing_key

NS = {"n": "http://www.portalfiscal.inf.br/nfe"}


def cents(text: str) -> int:
    value = Decimal(text) * 100
    assert value == value.to_integral_value(), text
    return int(value)


def sum_of(root: etree._Element, path: str) -> int:
    return sum(cents(v) for v in root.xpath(path + "/text()", namespaces=NS))


def one(root: etree._Element, path: str) -> str:
    (value,) = root.xpath(path + "/text()", namespaces=NS)
    return str(value)


def assert_totals_add_up(xml: bytes) -> None:
    root = etree.fromstring(xml)
    tot = "//n:total/n:ICMSTot/"
    assert cents(one(root, tot + "n:vProd")) == sum_of(root, "//n:det/n:prod/n:vProd")
    assert cents(one(root, tot + "n:vFrete")) == sum_of(root, "//n:det/n:prod/n:vFrete")
    assert cents(one(root, tot + "n:vBC")) == sum_of(root, "//n:det/n:imposto/n:ICMS/*/n:vBC")
    assert cents(one(root, tot + "n:vICMS")) == sum_of(root, "//n:det/n:imposto/n:ICMS/*/n:vICMS")
    assert cents(one(root, tot + "n:vPIS")) == sum_of(root, "//n:det/n:imposto/n:PIS/*/n:vPIS")
    assert cents(one(root, tot + "n:vCOFINS")) == sum_of(root, "//n:det/n:imposto/n:COFINS/*/n:vCOFINS")
    vnf = cents(one(root, tot + "n:vNF"))
    assert vnf == cents(one(root, tot + "n:vProd")) + cents(one(root, tot + "n:vFrete"))
    assert vnf == sum_of(root, "//n:pag/n:detPag/n:vPag")
    if root.xpath("//n:cobr", namespaces=NS):
        assert vnf == cents(one(root, "//n:cobr/n:fat/n:vLiq")) == sum_of(root, "//n:cobr/n:dup/n:vDup")
    for det in root.xpath("//n:det", namespaces=NS):
        q = Decimal(one(det, "n:prod/n:qCom"))
        assert cents(one(det, "n:prod/n:vProd")) == int(q * cents(one(det, "n:prod/n:vUnCom")))


def signed_and_valid(inv) -> tuple[bytes, etree._Element]:
    built = build_nfe(inv)
    signed = sign_nfe(built.xml, signing_key())
    assert validate_nfe(signed) == []
    assert_totals_add_up(signed)
    return signed, etree.fromstring(signed)


SCENARIOS = {
    "simples_internal_one_item_cpf": dict(recipient=person()),
    "simples_interstate_many_items_company": dict(recipient=company(), n_items=4, shipping_cents=1990, installments=3),
    "simples_credit_101_to_taxpayer": dict(tax=SIMPLES_CREDIT, recipient=company(), n_items=2),
    "mei_internal_pix_no_installments": dict(tax_regime="mei", method="pix", installments=0),
    "normal_internal_one_item": dict(tax_regime="regime_normal", tax=NORMAL, recipient=person()),
    "normal_interstate_many_items_taxpayer": dict(tax_regime="regime_normal", tax=NORMAL, recipient=company(),
                                                  n_items=4, shipping_cents=2500, installments=2),
    "normal_interstate_difal_to_person": dict(tax_regime="regime_normal", tax=NORMAL,
                                              recipient=person(company().address), n_items=3, method="card_link"),
    "excesso_sublimite_uses_cst": dict(tax_regime="simples_nacional_excesso", tax=NORMAL, n_items=2),
    "producao_environment": dict(tp_amb="1", n_items=2),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_built_and_signed_nfe_is_valid_against_the_official_xsd(name: str) -> None:
    signed_and_valid(invoice(**SCENARIOS[name]))


def test_the_id_is_nfe_plus_the_chave_and_cdv_is_its_last_digit() -> None:
    built = build_nfe(invoice())
    root = etree.fromstring(built.xml)
    inf = root.find("n:infNFe", NS)
    assert inf.get("Id") == "NFe" + built.chave and is_valid_chave(built.chave)
    assert one(root, "//n:ide/n:cDV") == built.chave[-1]
    assert one(root, "//n:ide/n:cNF") == parse_chave(built.chave).cnf == "52063812"
    assert parse_chave(built.chave).aamm == "2611" and parse_chave(built.chave).cuf == "35"
    assert one(root, "//n:ide/n:dhEmi") == "2026-11-22T10:30:00-03:00"


def test_interstate_sales_get_iddest_2_and_cfop_6xxx() -> None:
    root = etree.fromstring(build_nfe(invoice(recipient=company(), n_items=2)).xml)
    assert one(root, "//n:ide/n:idDest") == "2"
    assert root.xpath("//n:det/n:prod/n:CFOP/text()", namespaces=NS) == ["6102", "6102"]


def test_internal_sales_get_iddest_1_and_cfop_5xxx_even_if_given_6xxx() -> None:
    inv = invoice()
    inv = replace(inv, items=(replace(inv.items[0], cfop="6102"),))
    root = etree.fromstring(build_nfe(inv).xml)
    assert one(root, "//n:ide/n:idDest") == "1"
    assert one(root, "//n:det/n:prod/n:CFOP") == "5102"


@pytest.mark.parametrize(("recipient", "ind_final"), [(person(), "1"), (company(), "0"),
                                                     (replace(company(), ind_ie_dest="9", ie=None), "1")])
def test_indfinal_is_1_for_a_person_or_a_non_taxpayer(recipient, ind_final: str) -> None:
    root = etree.fromstring(build_nfe(invoice(recipient=recipient)).xml)
    assert one(root, "//n:ide/n:indFinal") == ind_final


def test_in_homologacao_the_recipient_and_first_item_carry_the_fixed_texts() -> None:
    root = etree.fromstring(build_nfe(invoice(n_items=3)).xml)
    assert one(root, "//n:dest/n:xNome") == HOMOLOGACAO_DEST_XNOME
    assert root.xpath("//n:det/n:prod/n:xProd/text()", namespaces=NS) == [
        HOMOLOGACAO_FIRST_XPROD, "Caneca de porcelana", "Filtro de papel 103"]
    assert one(root, "//n:ide/n:tpAmb") == "2"


def test_in_producao_the_real_names_are_kept() -> None:
    root = etree.fromstring(build_nfe(invoice(tp_amb="1")).xml)
    assert one(root, "//n:dest/n:xNome") == "José da Silva"
    assert one(root, "//n:det/n:prod/n:xProd") == "Café torrado 500g"


def test_regime_normal_taxes_add_up_line_by_line() -> None:
    built = build_nfe(invoice(tax_regime="regime_normal", tax=NORMAL, n_items=3, shipping_cents=1000))
    root = etree.fromstring(built.xml)
    # internal: 18 % on (vProd + its share of the freight)
    for line in built.lines:
        base = line.vprod + line.vfrete
        assert line.icms_vbc == base
        assert line.vicms == int((Decimal(base) * Decimal("0.18")).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    assert cents(one(root, "//n:ICMSTot/n:vICMS")) == built.totals.vicms == sum(x.vicms for x in built.lines)
    assert root.xpath("//n:ICMS00/n:pICMS/text()", namespaces=NS) == ["18.00"] * 3
    assert root.xpath("//n:PISAliq/n:pPIS/text()", namespaces=NS) == ["1.65"] * 3
    assert root.xpath("//n:COFINSAliq/n:pCOFINS/text()", namespaces=NS) == ["7.60"] * 3
    assert_totals_add_up(built.xml)


def test_interstate_regime_normal_uses_the_interstate_rate_and_difal_for_non_taxpayers() -> None:
    built = build_nfe(invoice(tax_regime="regime_normal", tax=NORMAL, recipient=person(company().address)))
    root = etree.fromstring(built.xml)
    assert one(root, "//n:ICMS00/n:pICMS") == "12.00"
    line = built.lines[0]
    assert line.vicms_uf_dest == line.vbc_uf_dest * 20 // 100 - line.vicms  # (20 % - 12 %) of the base
    assert cents(one(root, "//n:ICMSTot/n:vICMSUFDest")) == line.vicms_uf_dest


def test_simples_101_declares_the_credit_and_the_notice() -> None:
    built = build_nfe(invoice(tax=SIMPLES_CREDIT, recipient=company()))
    root = etree.fromstring(built.xml)
    assert one(root, "//n:ICMSSN101/n:pCredSN") == "2.4199"
    assert cents(one(root, "//n:ICMSSN101/n:vCredICMSSN")) == round(5180 * Decimal("0.024199"))
    info = one(root, "//n:infAdic/n:infCpl")
    assert "OPTANTE PELO SIMPLES NACIONAL" in info and "R$ 1,25" in info


def test_shipping_is_spread_over_the_items_and_adds_up() -> None:
    assert allocate(1000, [1, 1, 1]) == [334, 333, 333]
    assert allocate(1, [5000, 1]) == [1, 0]
    assert allocate(0, [3, 4]) == [0, 0]
    built = build_nfe(invoice(n_items=4, shipping_cents=1001))
    assert sum(x.vfrete for x in built.lines) == 1001 == built.totals.vfrete
    root = etree.fromstring(built.xml)
    assert one(root, "//n:transp/n:modFrete") == "0"  # the seller charges the freight: CIF


def test_without_shipping_modfrete_is_9_and_no_item_carries_vfrete() -> None:
    root = etree.fromstring(build_nfe(invoice(n_items=2)).xml)
    assert one(root, "//n:transp/n:modFrete") == "9"
    assert root.xpath("//n:det/n:prod/n:vFrete", namespaces=NS) == []


def test_installments_become_numbered_duplicatas_and_a_credit_payment() -> None:
    root = etree.fromstring(build_nfe(invoice(n_items=2, installments=3)).xml)
    assert root.xpath("//n:cobr/n:dup/n:nDup/text()", namespaces=NS) == ["001", "002", "003"]
    assert root.xpath("//n:cobr/n:dup/n:dVenc/text()", namespaces=NS) == ["2026-12-22", "2027-01-21", "2027-02-20"]
    assert one(root, "//n:pag/n:detPag/n:tPag") == "15" and one(root, "//n:pag/n:detPag/n:indPag") == "1"


@pytest.mark.parametrize(("method", "tpag"), [("boleto", "15"), ("pix", "17"), ("card_link", "03")])
def test_the_payment_method_maps_to_tpag(method: str, tpag: str) -> None:
    root = etree.fromstring(build_nfe(invoice(method=method, installments=0)).xml)
    assert one(root, "//n:pag/n:detPag/n:tPag") == tpag
    assert root.xpath("//n:cobr", namespaces=NS) == []


def test_the_responsible_technician_block_is_fixed() -> None:
    root = etree.fromstring(build_nfe(invoice()).xml)
    assert one(root, "//n:infRespTec/n:CNPJ") == "11222333000181"
    assert one(root, "//n:infRespTec/n:xContato") == "Retaguarda"


def test_money_is_written_from_centavos_with_two_places_and_rates_with_two_to_four() -> None:
    assert [money(0), money(5), money(100), money(123456)] == ["0.00", "0.05", "1.00", "1234.56"]
    assert [rate(Decimal(18)), rate(Decimal("1.65")), rate(Decimal("2.4199")), rate(Decimal(0))] == [
        "18.00", "1.65", "2.4199", "0.00"]
    with pytest.raises(ValueError):
        money(-1)


def test_text_is_trimmed_single_spaced_latin1_and_capped() -> None:
    assert sanitize_text("  Café \t torrado\n\n500g  ", 60) == "Café torrado 500g"
    assert sanitize_text("Caneca\x00\x07 azul\x85", 60) == "Caneca azul"
    assert sanitize_text("Chá “verde” — 100 g…", 60) == 'Chá "verde" - 100 g...'
    assert sanitize_text("Łódź 🙂 ok", 60) == "Lódz ok"
    assert sanitize_text("x" * 200, 120) == "x" * 120
    assert sanitize_text("abcd efgh", 5) == "abcd"
    assert sanitize_text(None, 10) == ""


def test_text_beyond_latin1_is_transliterated_so_the_xsd_accepts_it() -> None:
    inv = invoice(tp_amb="1", n_items=1)
    odd = replace(inv.items[0], name="  Xícara  “Łódź”  —  edição\tlimitada 🙂 ")
    _, root = signed_and_valid(replace(inv, items=(odd,)))
    assert one(root, "//n:det/n:prod/n:xProd") == 'Xícara "Lódz" - edição limitada'


def test_every_bad_field_is_reported_at_once() -> None:
    inv = invoice()
    bad = replace(inv, serie=1000, cnf="12",
                  recipient=replace(inv.recipient, document="12345678900"),
                  items=(Item("X", "Y", "123", "1102", "UN", 0, 0),))
    with pytest.raises(InvalidInvoiceError) as caught:
        build_nfe(bad)
    fields = {e.field for e in caught.value.errors}
    assert {"serie", "cnf", "recipient.document", "items.0.quantity", "items.0.unit_price_cents", "items.0.cfop",
            "items.0.ncm"} <= fields


def test_installments_that_do_not_add_up_to_the_total_are_refused() -> None:
    inv = invoice(installments=2)
    parts = inv.payment.installments
    short = replace(inv, payment=replace(inv.payment, installments=(parts[0], replace(parts[1], amount_cents=1))))
    with pytest.raises(InvalidInvoiceError) as caught:
        build_nfe(short)
    assert [e.field for e in caught.value.errors] == ["payment.installments"]


def test_a_naive_issue_time_is_refused() -> None:
    inv = invoice()
    with pytest.raises(InvalidInvoiceError) as caught:
        build_nfe(replace(inv, issued_at=inv.issued_at.replace(tzinfo=None), payment=replace(inv.payment, installments=())))
    assert "issued_at" in {e.field for e in caught.value.errors}


def test_csosn_101_to_a_non_taxpayer_is_refused() -> None:
    with pytest.raises(InvalidInvoiceError) as caught:
        build_nfe(invoice(tax=SIMPLES_CREDIT, recipient=person()))
    assert "tax.csosn" in {e.field for e in caught.value.errors}


def test_a_name_with_no_printable_character_is_refused() -> None:
    inv = invoice(tp_amb="1")
    with pytest.raises(InvalidInvoiceError) as caught:
        build_nfe(replace(inv, items=(replace(inv.items[0], name=" \t\x01 "),)))
    assert [e.field for e in caught.value.errors] == ["items.0.name"]


def test_simples_profile_with_regime_normal_issuer_is_refused() -> None:
    with pytest.raises(InvalidInvoiceError) as caught:
        build_nfe(invoice(tax_regime="regime_normal", tax=SIMPLES))
    assert "tax.icms_cst" in {e.field for e in caught.value.errors}


def test_the_cached_serializer_writes_exactly_what_to_xml_writes() -> None:
    from nfelib.nfe.bindings.v4_0.nfe_v4_00 import Nfe

    built = build_nfe(invoice(n_items=3, shipping_cents=500, installments=2))
    again = read_binding(built.xml, Nfe).to_xml(indent="").encode()
    assert again == built.xml


def test_a_cpf_recipient_is_never_an_icms_taxpayer() -> None:
    with pytest.raises(InvalidInvoiceError) as caught:
        build_nfe(invoice(recipient=replace(person(), ind_ie_dest="1", ie="123456")))
    assert [e.field for e in caught.value.errors] == ["recipient.ind_ie_dest"]


def test_charged_shipping_cannot_be_declared_sem_frete() -> None:
    with pytest.raises(InvalidInvoiceError) as caught:
        build_nfe(replace(invoice(shipping_cents=500, installments=0), mod_frete="9"))
    assert [e.field for e in caught.value.errors] == ["mod_frete"]


def test_reading_a_binding_back_survives_a_dataclass_from_an_unregistered_module() -> None:
    """cfn-lint loads its rules outside sys.modules; xsdata's root-class scan then raises KeyError."""
    import gc
    from dataclasses import make_dataclass

    from nfelib.nfe.bindings.v4_0.nfe_v4_00 import Nfe

    stray = make_dataclass("Stray", [("x", int)])
    stray.__module__ = "not_in_sys_modules"
    try:
        built = build_nfe(invoice())
        assert read_binding(built.xml, Nfe).to_xml(indent="").encode() == built.xml
    finally:
        del stray
        gc.collect()

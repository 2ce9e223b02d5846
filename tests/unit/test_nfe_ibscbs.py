"""IBS/CBS of the tax reform (NT 2025.002-RTC) in the NF-e: `det/imposto/IBSCBS` and `total/IBSCBSTot`.

Invariants, asserted by `assert_ibscbs_adds_up` after every build with the groups:
    per det: vBC = vProd + vFrete - vICMS - vICMSUFDest - vPIS - vCOFINS (LC 214/2025 art. 12 § 1º IV, § 2º V);
             vIBSUF, vIBSMun, vCBS = vBC × rate, half-up to the centavo;  vIBS = vIBSUF + vIBSMun
    IBSCBSTot: vBCIBSCBS = Σ vBC;  vIBSUF = Σ vIBSUF;  vIBSMun = Σ vIBSMun;  vIBS = Σ vIBS;  vCBS = Σ vCBS
    and vNF is untouched (IBS/CBS are "por fora").
2026 test year: CST 000 / cClassTrib 000001, CBS 0.9 %, IBS UF 0.1 %, IBS Mun 0 % (LC 214/2025 arts. 343, 346),
required from regime normal (CRT 3) only; Simples Nacional, excesso de sublimite and MEI from 2027 (art. 348).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from chalicelib.invoicing.nfe_input import (
    IBSCBS_2026,
    IbsCbsProfile,
    InvalidInvoiceError,
    Item,
    default_ibscbs,
)
from chalicelib.invoicing.nfe_xml import build_nfe
from chalicelib.invoicing.service import tax_profile
from chalicelib.invoicing.signing import sign_nfe, verify_signature
from chalicelib.invoicing.xsd import validate_nfe
from tests.unit.test_nfe_factories import NORMAL, SIMPLES, SIMPLES_CREDIT, company, invoice, person, signing_key
from tests.unit.test_nfe_xml import NS, assert_totals_add_up, cents, one, sum_of

NORMAL_2026 = replace(NORMAL, ibscbs=IBSCBS_2026)
SIMPLES_2026 = replace(SIMPLES, ibscbs=IBSCBS_2026)


def half_up(base: int, pct: Decimal) -> int:
    return int((Decimal(base) * pct / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def assert_ibscbs_adds_up(xml: bytes, profile: IbsCbsProfile = IBSCBS_2026) -> None:
    root = etree.fromstring(xml)
    dets = root.xpath("//n:det", namespaces=NS)
    assert dets and all(len(d.xpath("n:imposto/n:IBSCBS", namespaces=NS)) == 1 for d in dets)
    for det in dets:
        g = "n:imposto/n:IBSCBS/n:gIBSCBS/"
        assert one(det, "n:imposto/n:IBSCBS/n:CST") == profile.cst
        assert one(det, "n:imposto/n:IBSCBS/n:cClassTrib") == profile.c_class_trib
        frete = det.xpath("n:prod/n:vFrete/text()", namespaces=NS)
        expected_base = (cents(one(det, "n:prod/n:vProd")) + (cents(frete[0]) if frete else 0)
                         - sum_of(det, "n:imposto/n:ICMS/*/n:vICMS") - sum_of(det, "n:imposto/n:ICMSUFDest/n:vICMSUFDest")
                         - sum_of(det, "n:imposto/n:PIS/*/n:vPIS") - sum_of(det, "n:imposto/n:COFINS/*/n:vCOFINS"))
        vbc = cents(one(det, g + "n:vBC"))
        assert vbc == expected_base
        assert Decimal(one(det, g + "n:gIBSUF/n:pIBSUF")) == profile.p_ibs_uf
        assert Decimal(one(det, g + "n:gIBSMun/n:pIBSMun")) == profile.p_ibs_mun
        assert Decimal(one(det, g + "n:gCBS/n:pCBS")) == profile.p_cbs
        vibs_uf, vibs_mun = cents(one(det, g + "n:gIBSUF/n:vIBSUF")), cents(one(det, g + "n:gIBSMun/n:vIBSMun"))
        assert vibs_uf == half_up(vbc, profile.p_ibs_uf)
        assert vibs_mun == half_up(vbc, profile.p_ibs_mun)
        assert cents(one(det, g + "n:vIBS")) == vibs_uf + vibs_mun
        assert cents(one(det, g + "n:gCBS/n:vCBS")) == half_up(vbc, profile.p_cbs)
    tot = "//n:total/n:IBSCBSTot/"
    det_g = "//n:det/n:imposto/n:IBSCBS/n:gIBSCBS/"
    assert cents(one(root, tot + "n:vBCIBSCBS")) == sum_of(root, det_g + "n:vBC")
    assert cents(one(root, tot + "n:gIBS/n:gIBSUF/n:vIBSUF")) == sum_of(root, det_g + "n:gIBSUF/n:vIBSUF")
    assert cents(one(root, tot + "n:gIBS/n:gIBSMun/n:vIBSMun")) == sum_of(root, det_g + "n:gIBSMun/n:vIBSMun")
    assert cents(one(root, tot + "n:gIBS/n:vIBS")) == sum_of(root, det_g + "n:vIBS")
    assert cents(one(root, tot + "n:gCBS/n:vCBS")) == sum_of(root, det_g + "n:gCBS/n:vCBS")
    assert sum_of(root, tot + "/n:vDif") == sum_of(root, tot + "/n:vDevTrib") == sum_of(root, tot + "/n:vCredPres") == 0
    # "por fora": the document total is still products + freight
    vnf = cents(one(root, "//n:total/n:ICMSTot/n:vNF"))
    assert vnf == cents(one(root, "//n:ICMSTot/n:vProd")) + cents(one(root, "//n:ICMSTot/n:vFrete"))


def signed_and_valid(inv) -> tuple[bytes, etree._Element]:
    built = build_nfe(inv)
    signed = sign_nfe(built.xml, signing_key())
    assert validate_nfe(signed) == []
    verify_signature(signed)
    assert_totals_add_up(signed)
    assert_ibscbs_adds_up(signed, inv.tax.ibscbs)
    return signed, etree.fromstring(signed)


def without_reform_groups(xml: bytes) -> bytes:
    root = etree.fromstring(xml)
    for node in root.xpath("//n:IBSCBS | //n:IBSCBSTot", namespaces=NS):
        node.getparent().remove(node)
    return etree.tostring(root, method="c14n")


SCENARIOS = {
    "normal_internal_one_item_cpf": dict(recipient=person()),
    "normal_internal_many_items_shipping": dict(recipient=person(), n_items=6, shipping_cents=1333, installments=3),
    "normal_interstate_one_item_taxpayer": dict(recipient=company()),
    "normal_interstate_many_items_taxpayer": dict(recipient=company(), n_items=4, shipping_cents=2500,
                                                  installments=2),
    "normal_interstate_difal_to_person": dict(recipient=person(company().address), n_items=3, method="card_link"),
    "normal_producao_many_items": dict(recipient=company(), n_items=5, tp_amb="1", method="pix", installments=0),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_regime_normal_with_ibscbs_is_valid_against_the_official_xsd_when_signed(name: str) -> None:
    signed_and_valid(invoice(tax_regime="regime_normal", tax=NORMAL_2026, **SCENARIOS[name]))


def test_the_2026_profile_is_cst_000_cclasstrib_000001_at_the_test_year_rates() -> None:
    assert (IBSCBS_2026.cst, IBSCBS_2026.c_class_trib) == ("000", "000001")
    assert (IBSCBS_2026.p_cbs, IBSCBS_2026.p_ibs_uf, IBSCBS_2026.p_ibs_mun) == (
        Decimal("0.9"), Decimal("0.1"), Decimal(0))


def test_one_internal_line_by_hand() -> None:
    # 2 × R$ 25,90 = R$ 51,80 in SP: ICMS 18 % = 9,32; PIS 1,65 % = 0,85; COFINS 7,6 % = 3,94
    built = build_nfe(invoice(tax_regime="regime_normal", tax=NORMAL_2026, recipient=person()))
    (line,) = built.lines
    assert (line.vprod, line.vicms, line.vpis, line.vcofins) == (5180, 932, 85, 394)
    assert line.ibscbs_vbc == 5180 - 932 - 85 - 394 == 3769
    assert (line.vibs_uf, line.vibs_mun, line.vibs, line.vcbs) == (4, 0, 4, 34)  # 3,769 → 4; 33,921 → 34
    root = etree.fromstring(built.xml)
    g = "//n:IBSCBS/n:gIBSCBS/"
    assert one(root, "//n:IBSCBS/n:CST") == "000" and one(root, "//n:IBSCBS/n:cClassTrib") == "000001"
    assert [one(root, g + p) for p in ("n:vBC", "n:gIBSUF/n:pIBSUF", "n:gIBSUF/n:vIBSUF", "n:gIBSMun/n:pIBSMun",
                                       "n:gIBSMun/n:vIBSMun", "n:vIBS", "n:gCBS/n:pCBS", "n:gCBS/n:vCBS")] == [
        "37.69", "0.10", "0.04", "0.00", "0.00", "0.04", "0.90", "0.34"]
    t = "//n:IBSCBSTot/"
    assert [one(root, t + p) for p in ("n:vBCIBSCBS", "n:gIBS/n:gIBSUF/n:vIBSUF", "n:gIBS/n:gIBSMun/n:vIBSMun",
                                       "n:gIBS/n:vIBS", "n:gCBS/n:vCBS")] == ["37.69", "0.04", "0.00", "0.04", "0.34"]


def test_interstate_lines_take_out_the_interstate_icms_and_the_difal() -> None:
    built = build_nfe(invoice(tax_regime="regime_normal", tax=NORMAL_2026, recipient=person(company().address),
                              n_items=3, shipping_cents=990))
    for line in built.lines:
        assert line.vicms_uf_dest > 0
        assert line.ibscbs_vbc == line.vprod + line.vfrete - line.vicms - line.vicms_uf_dest - line.vpis - line.vcofins
    assert_ibscbs_adds_up(built.xml)


def test_each_value_is_rounded_half_up_per_line_and_the_totals_are_the_sums_of_the_lines() -> None:
    # R$ 5,00 with no ICMS/PIS/COFINS to take out: IBS UF 0,005 → 0,01 and CBS 0,045 → 0,05 (half-up, not half-even)
    inv = invoice(tax=SIMPLES_2026, recipient=person(), installments=0)
    inv = replace(inv, items=tuple(replace(inv.items[0], sku=f"SKU-{k}", quantity=1, unit_price_cents=500)
                                   for k in range(3)))
    built = build_nfe(inv)
    assert [(x.ibscbs_vbc, x.vibs_uf, x.vcbs) for x in built.lines] == [(500, 1, 5)] * 3
    # the total is the sum of the rounded lines (3 × 0,01), not the rounding of the summed base (15,00 → 0,015 → 0,02)
    t = built.totals
    assert (t.vbc_ibscbs, t.vibs_uf, t.vibs_mun, t.vibs, t.vcbs) == (1500, 3, 0, 3, 15)
    assert_ibscbs_adds_up(built.xml)


def test_many_lines_with_uneven_freight_add_up() -> None:
    inv = invoice(tax_regime="regime_normal", tax=NORMAL_2026, recipient=company(), n_items=40, shipping_cents=10_001,
                  installments=4)
    built = build_nfe(inv)
    t = built.totals
    assert t.vbc_ibscbs == sum(x.ibscbs_vbc for x in built.lines)
    assert (t.vibs_uf, t.vibs_mun, t.vcbs) == (sum(x.vibs_uf for x in built.lines), 0, sum(x.vcbs for x in built.lines))
    assert t.vnf == t.vprod + t.vfrete
    signed_and_valid(inv)


def test_the_groups_sit_last_in_imposto_and_after_icmstot_in_total() -> None:
    root = etree.fromstring(build_nfe(invoice(tax_regime="regime_normal", tax=NORMAL_2026,
                                              recipient=person(company().address))).xml)
    (imposto,) = root.xpath("//n:det/n:imposto", namespaces=NS)
    assert [etree.QName(c).localname for c in imposto] == ["ICMS", "PIS", "COFINS", "ICMSUFDest", "IBSCBS"]
    (total,) = root.xpath("//n:total", namespaces=NS)
    assert [etree.QName(c).localname for c in total] == ["ICMSTot", "IBSCBSTot"]


@pytest.mark.parametrize(("tax_regime", "tax", "recipient"), [
    ("simples_nacional", SIMPLES, person()),
    ("simples_nacional", SIMPLES_CREDIT, company()),
    ("mei", SIMPLES, person()),
    ("simples_nacional_excesso", NORMAL, person()),
    ("regime_normal", NORMAL, company()),
])
def test_without_a_profile_there_is_no_ibscbs_at_all(tax_regime: str, tax, recipient) -> None:
    built = build_nfe(invoice(tax_regime=tax_regime, tax=tax, recipient=recipient, n_items=2))
    assert b"IBSCBS" not in built.xml and b"cClassTrib" not in built.xml
    assert all(x.ibscbs_vbc == x.vibs_uf == x.vibs_mun == x.vcbs == 0 for x in built.lines)


def test_simples_nacional_may_opt_in_with_an_explicit_profile() -> None:
    _, root = signed_and_valid(invoice(tax=SIMPLES_2026, recipient=company(), n_items=3, shipping_cents=700))
    assert one(root, "//n:emit/n:CRT") == "1"
    # no ICMS destacado and PIS/COFINS 49 at 0 %: the base is the goods plus the freight
    assert cents(one(root, "//n:IBSCBSTot/n:vBCIBSCBS")) == cents(one(root, "//n:ICMSTot/n:vNF"))


@pytest.mark.parametrize("kwargs", [
    dict(tax_regime="regime_normal", recipient=person()),
    dict(tax_regime="regime_normal", recipient=company(), n_items=4, shipping_cents=2500, installments=2),
    dict(tax_regime="regime_normal", recipient=person(company().address), n_items=3),
])
def test_the_reform_groups_change_nothing_else_in_the_document(kwargs: dict) -> None:
    plain = build_nfe(invoice(tax=NORMAL, **kwargs))
    reform = build_nfe(invoice(tax=NORMAL_2026, **kwargs))
    assert plain.chave == reform.chave
    assert without_reform_groups(reform.xml) == etree.tostring(etree.fromstring(plain.xml), method="c14n")
    assert (plain.totals.vnf, plain.totals.vicms, plain.totals.vpis) == (
        reform.totals.vnf, reform.totals.vicms, reform.totals.vpis)


def test_regime_normal_tenants_get_the_2026_profile_and_simples_tenants_none() -> None:
    assert default_ibscbs("regime_normal") == IBSCBS_2026
    for regime in ("simples_nacional", "simples_nacional_excesso", "mei"):
        assert default_ibscbs(regime) is None
    assert tax_profile("regime_normal", "SP").ibscbs == IBSCBS_2026
    assert tax_profile("simples_nacional", "SP").ibscbs is None
    assert tax_profile("mei", "SP").ibscbs is None
    assert tax_profile("simples_nacional_excesso", "SP").ibscbs is None  # CRT 2: not required before 2027


def test_the_service_profile_of_a_regime_normal_tenant_builds_a_valid_nfe() -> None:
    profile = tax_profile("regime_normal", "SP")
    signed_and_valid(invoice(tax_regime="regime_normal", tax=profile, recipient=person(company().address), n_items=2))


@pytest.mark.parametrize(("profile", "fields"), [
    (IbsCbsProfile(cst="200"), {"tax.ibscbs.cst", "tax.ibscbs.c_class_trib"}),
    (IbsCbsProfile(c_class_trib="00001"), {"tax.ibscbs.c_class_trib"}),
    (IbsCbsProfile(c_class_trib="200001"), {"tax.ibscbs.c_class_trib"}),
    (IbsCbsProfile(p_cbs=Decimal("-0.9")), {"tax.ibscbs.p_cbs"}),
    (IbsCbsProfile(p_ibs_uf=Decimal(101), p_ibs_mun=Decimal("NaN")), {"tax.ibscbs.p_ibs_uf", "tax.ibscbs.p_ibs_mun"}),
])
def test_a_bad_ibscbs_profile_is_refused_naming_its_fields(profile: IbsCbsProfile, fields: set[str]) -> None:
    with pytest.raises(InvalidInvoiceError) as caught:
        build_nfe(invoice(tax_regime="regime_normal", tax=replace(NORMAL, ibscbs=profile)))
    assert {e.field for e in caught.value.errors} == fields


def test_other_rates_are_written_with_two_to_four_places() -> None:
    profile = IbsCbsProfile(p_cbs=Decimal("8.8"), p_ibs_uf=Decimal("0.05"), p_ibs_mun=Decimal("0.0525"))
    _, root = signed_and_valid(invoice(tax_regime="regime_normal", tax=replace(NORMAL, ibscbs=profile), n_items=2))
    assert root.xpath("//n:gIBSCBS/n:gCBS/n:pCBS/text()", namespaces=NS) == ["8.80", "8.80"]
    assert root.xpath("//n:gIBSCBS/n:gIBSUF/n:pIBSUF/text()", namespaces=NS) == ["0.05", "0.05"]
    assert root.xpath("//n:gIBSCBS/n:gIBSMun/n:pIBSMun/text()", namespaces=NS) == ["0.0525", "0.0525"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prices=st.lists(st.tuples(st.integers(1, 50), st.integers(1, 2_000_000)), min_size=1, max_size=12),
       shipping=st.integers(0, 500_000), interstate=st.booleans(), taxpayer=st.booleans())
def test_any_regime_normal_order_gives_lines_and_totals_that_add_up(prices, shipping, interstate, taxpayer) -> None:
    recipient = company() if taxpayer else person(company().address if interstate else person().address)
    if taxpayer and not interstate:
        recipient = replace(company(), address=person().address)
    inv = invoice(tax_regime="regime_normal", tax=NORMAL_2026, recipient=recipient, installments=0, method="pix")
    base_item = Item("SKU", "Produto", "09012100", "5102", "UN", 1, 1)
    inv = replace(inv, shipping_cents=shipping, items=tuple(
        replace(base_item, sku=f"SKU-{k}", quantity=q, unit_price_cents=p) for k, (q, p) in enumerate(prices)))
    signed_and_valid(inv)

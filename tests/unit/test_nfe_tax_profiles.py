"""Tax profiles per tenant and per product: the regime's default, the tenant's rules over it, a product's over those."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from lxml import etree

from chalicelib.brazil.taxes import TaxRules
from chalicelib.invoicing.nfe_input import InvalidInvoiceError, TaxProfile
from chalicelib.invoicing.nfe_xml import build_nfe
from chalicelib.invoicing.service import tax_profile
from chalicelib.invoicing.signing import sign_nfe
from chalicelib.invoicing.xsd import validate_nfe
from tests.unit.test_nfe_factories import NORMAL, SIMPLES, company, invoice, person, signing_key

NS = {"n": "http://www.portalfiscal.inf.br/nfe"}
EXEMPT = replace(NORMAL, icms_cst="40", icms_rate=Decimal(0))


def with_item_taxes(inv, *taxes):
    return replace(inv, items=tuple(replace(item, tax=tax) for item, tax in zip(inv.items, taxes, strict=True)))


def test_levels_lay_over_the_regime_default_field_by_field() -> None:
    tenant = TaxRules(icms_percent=Decimal(17), pis_cst="01", pis_percent=Decimal("0.65"))
    product = TaxRules(icms_cst="40", cofins_percent=Decimal(3))
    profile = tax_profile("regime_normal", "SP", tenant, product)
    assert (profile.icms_cst, profile.icms_rate, profile.pis_rate, profile.cofins_cst, profile.cofins_rate) == (
        "40", Decimal(17), Decimal("0.65"), "01", Decimal(3))
    assert tax_profile("regime_normal", "SP", None, TaxRules()) == tax_profile("regime_normal", "SP")
    assert tax_profile("simples_nacional", "SP", TaxRules(csosn="103")).csosn == "103"
    assert tax_profile("regime_normal", "SP", TaxRules(icms_interstate_percent=7)).icms_interstate_rate == Decimal(7)


def test_an_exempt_product_gets_icms40_and_adds_nothing_to_the_icms_totals() -> None:
    inv = with_item_taxes(invoice(tax_regime="regime_normal", tax=NORMAL, recipient=company(person().address),
                                  n_items=2), EXEMPT, None)
    built = build_nfe(inv)
    root = etree.fromstring(built.xml)
    dets = root.findall(".//n:det", NS)
    assert dets[0].find("n:imposto/n:ICMS/n:ICMS40/n:CST", NS).text == "40"
    assert dets[0].find("n:imposto/n:ICMS/n:ICMS40/n:vICMS", NS) is None
    assert dets[1].find("n:imposto/n:ICMS/n:ICMS00/n:pICMS", NS).text == "18.00"
    assert built.totals.vicms == built.lines[1].vicms and built.lines[0].vicms == 0
    assert root.findtext(".//n:ICMSTot/n:vICMS", namespaces=NS) == f"{built.totals.vicms / 100:.2f}"
    assert validate_nfe(sign_nfe(built.xml, signing_key())) == []


def test_each_line_carries_its_own_pis_and_cofins() -> None:
    own = replace(NORMAL, pis_cst="06", cofins_cst="06")  # alíquota zero: not taxed
    built = build_nfe(with_item_taxes(invoice(tax_regime="regime_normal", tax=NORMAL, n_items=2), own, None))
    assert (built.lines[0].vpis, built.lines[0].vcofins) == (0, 0)
    assert built.lines[1].vpis > 0 and built.totals.vpis == built.lines[1].vpis
    assert validate_nfe(sign_nfe(built.xml, signing_key())) == []


def test_a_bad_product_profile_is_named_by_its_line() -> None:
    bad = replace(SIMPLES, csosn="101", p_cred_sn=None)
    with pytest.raises(InvalidInvoiceError) as caught:
        build_nfe(with_item_taxes(invoice(recipient=company(), n_items=2), None, bad))
    assert {e.field for e in caught.value.errors} == {"items.1.tax.simples_credit_percent"}


def test_an_exempt_line_needs_no_interstate_rate() -> None:
    exempt = TaxProfile(csosn=None, icms_cst="41", pis_cst="07", cofins_cst="07")
    inv = with_item_taxes(invoice(tax_regime="regime_normal", tax=NORMAL, recipient=company(), n_items=1), exempt)
    assert inv.is_interstate
    assert validate_nfe(sign_nfe(build_nfe(inv).xml, signing_key())) == []


@pytest.mark.parametrize(("origin_uf", "destination_uf", "goods_origin", "rate"), [
    ("SP", "BA", 0, 7), ("SP", "ES", 0, 7), ("RS", "PE", 0, 7), ("MG", "GO", 0, 7),  # S/SE (not ES) to N/NE/CO/ES
    ("SP", "RJ", 0, 12), ("BA", "SP", 0, 12), ("ES", "BA", 0, 12), ("PE", "CE", 0, 12),
    ("SP", "BA", 1, 4), ("BA", "SP", 2, 4), ("SP", "RJ", 3, 4), ("SP", "RJ", 8, 4),  # imported goods
    ("SP", "RJ", 5, 12),  # origin 5: national, import content up to 40 %
])
def test_interstate_rates_follow_the_senate_resolutions(origin_uf, destination_uf, goods_origin, rate) -> None:
    from chalicelib.invoicing.icms_rates import interstate_rate

    assert interstate_rate(origin_uf, destination_uf, goods_origin) == Decimal(rate)


def test_the_default_regime_normal_profile_uses_both_states_rates() -> None:
    from chalicelib.brazil.places import UFS

    profile = tax_profile("regime_normal", "SP", destination_uf="BA")
    assert (profile.icms_rate, profile.icms_interstate_rate, profile.icms_dest_rate) == (
        Decimal(18), Decimal(7), Decimal("20.5"))
    assert tax_profile("regime_normal", "SP", destination_uf="BA", goods_origin=1).icms_interstate_rate == Decimal(4)
    rule = TaxRules(icms_interstate_percent=12, icms_destination_percent=Decimal(19))
    assert (tax_profile("regime_normal", "SP", rule, destination_uf="BA").icms_interstate_rate,
            tax_profile("regime_normal", "SP", rule, destination_uf="BA").icms_dest_rate) == (Decimal(12), Decimal(19))
    from chalicelib.invoicing.icms_rates import INTERNAL_RATE

    assert set(INTERNAL_RATE) == set(UFS)


def test_the_invoice_profile_is_not_judged_when_every_line_has_its_own() -> None:
    credit = replace(SIMPLES, csosn="101", p_cred_sn=Decimal("1.25"))  # refused for a consumer (rejeição 600)
    inv = with_item_taxes(invoice(tax=credit, recipient=person(), n_items=2), SIMPLES, replace(SIMPLES, csosn="300"))
    assert validate_nfe(sign_nfe(build_nfe(inv).xml, signing_key())) == []
    with pytest.raises(InvalidInvoiceError) as caught:
        build_nfe(with_item_taxes(inv, SIMPLES, None))
    assert {e.field for e in caught.value.errors} == {"tax.csosn"}


@pytest.mark.parametrize(("regime", "levels", "fields"), [
    ("simples_nacional", [TaxRules(csosn="101")], {"simples_credit_percent"}),
    ("simples_nacional", [TaxRules(simples_credit_percent=Decimal(2))], {"simples_credit_percent"}),
    ("simples_nacional", [TaxRules(icms_cst="00")], {"icms_cst"}),
    ("regime_normal", [TaxRules(csosn="102")], {"csosn"}),
    ("regime_normal", [TaxRules(pis_cst="04", pis_percent=Decimal("1.65"))], {"pis_percent"}),
    ("regime_normal", [TaxRules(cofins_cst="06", cofins_percent=Decimal("7.6"))], {"cofins_percent"}),
    # a product's rules, over its tenant's
    ("simples_nacional", [TaxRules(csosn="101", simples_credit_percent=Decimal(2)), TaxRules(csosn="101")], set()),
    ("simples_nacional", [TaxRules(csosn="101", simples_credit_percent=Decimal(2)), TaxRules(csosn="300")], set()),
    ("simples_nacional", [None, TaxRules(csosn="101", simples_credit_percent=Decimal("1.5"))], set()),
    ("regime_normal", [TaxRules(pis_cst="06"), TaxRules(pis_percent=Decimal(1))], {"pis_percent"}),
    ("regime_normal", [TaxRules(icms_cst="40", pis_cst="01", pis_percent=Decimal("1.65"))], set()),
])
def test_tax_rules_are_judged_against_the_regime_when_saved(regime, levels, fields) -> None:
    from chalicelib.brazil.taxes import tax_rules_problems

    assert {name for name, _ in tax_rules_problems(regime, *levels)} == fields

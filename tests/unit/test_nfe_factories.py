"""Builders shared by the NF-e tests (no tests here): parties, items, invoices, and one cached A1 key."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache

from chalicelib.invoicing.nfe_input import Address, Installment, Invoice, Issuer, Item, Payment, Recipient, TaxProfile
from chalicelib.invoicing.signing import SigningKey, generate_test_certificate, load_pkcs12

BRT = timezone(timedelta(hours=-3))
ISSUED_AT = datetime(2026, 11, 22, 10, 30, 0, tzinfo=BRT)
ISSUER_CNPJ = "11222333000181"

SP = Address("Rua das Flores", "100", "Centro", "3550308", "São Paulo", "SP", "01001000", phone="(11) 3333-4444")
SP_2 = Address("Av. Paulista", "1000", "Bela Vista", "3550308", "São Paulo", "SP", "01310100", complement="Conj. 12")
RJ = Address("Av. Atlântica", "200", "Copacabana", "3304557", "Rio de Janeiro", "RJ", "22021001")

SIMPLES = TaxProfile(csosn="102", pis_cst="49", cofins_cst="49")
SIMPLES_CREDIT = TaxProfile(csosn="101", p_cred_sn=Decimal("2.4199"), pis_cst="99", cofins_cst="99")
NORMAL = TaxProfile(csosn=None, icms_cst="00", icms_rate=Decimal(18), icms_interstate_rate=Decimal(12),
                    icms_dest_rate=Decimal(20), pis_cst="01", pis_rate=Decimal("1.65"), cofins_cst="01",
                    cofins_rate=Decimal("7.6"))


def issuer(tax_regime: str = "simples_nacional") -> Issuer:
    return Issuer(ISSUER_CNPJ, "123456789012", "Loja Exemplo Ltda", "Loja Exemplo", SP, tax_regime)


def person(address: Address = SP_2) -> Recipient:
    return Recipient("12345678909", "José da Silva", address, email="jose@example.com")


def company(address: Address = RJ) -> Recipient:
    return Recipient("45723174000110", "Comércio Carioca S.A.", address, email="compras@example.com",
                     ind_ie_dest="1", ie="86543210")


def items(n: int = 1) -> tuple[Item, ...]:
    catalog = [
        Item("CAFE-500", "Café torrado 500g", "09012100", "5102", "UN", 2, 2590),
        Item("CANECA-01", "Caneca de porcelana", "69120000", "5102", "UN", 1, 4500, gtin="7891234567895"),
        Item("FILTRO-103", "Filtro de papel 103", "48239099", "5102", "CX", 3, 799, origin=2),
        Item("CHALEIRA", "Chaleira elétrica 1,7 L", "85161000", "5102", "UN", 1, 18990, origin=1),
    ]
    return tuple(catalog[i % len(catalog)] if i < len(catalog) else replace(catalog[i % len(catalog)], sku=f"SKU-{i}")
                 for i in range(n))


def invoice(*, tax_regime: str = "simples_nacional", tax: TaxProfile = SIMPLES, recipient: Recipient | None = None,
            n_items: int = 1, shipping_cents: int = 0, method: str = "boleto", installments: int = 1,
            tp_amb: str = "2", nnf: int = 42) -> Invoice:
    its = items(n_items)
    total = sum(i.total_cents for i in its) + shipping_cents
    parts = [total // installments + (total % installments if k == 0 else 0) for k in range(installments)]
    return Invoice(
        issuer=issuer(tax_regime), recipient=recipient or person(), items=its, tax=tax,
        payment=Payment(method, tuple(Installment(date(2026, 12, 22) + timedelta(days=30 * k), amount)
                                      for k, amount in enumerate(parts)) if installments else ()),
        serie=1, nnf=nnf, cnf="52063812", issued_at=ISSUED_AT, shipping_cents=shipping_cents, tp_amb=tp_amb,
    )


@cache
def signing_key() -> SigningKey:
    """One RSA 2048 test A1 per test process: key generation is the slow part."""
    data, password = pkcs12_bytes()
    return load_pkcs12(data, password)


@cache
def pkcs12_bytes() -> tuple[bytes, str]:
    return generate_test_certificate(ISSUER_CNPJ, "LOJA EXEMPLO LTDA")


def read_binding(xml: str | bytes, binding: type) -> object:
    """Parse XML into the given nfelib binding.

    nfelib's ``from_xml`` lets xsdata find the root class by scanning every dataclass in the
    process, which fails (KeyError) once a module loaded outside ``sys.modules`` defines one, as
    cfn-lint's rule loader does when the infra tests share the worker. Naming the class skips the scan.
    """
    from xsdata.formats.dataclass.parsers import XmlParser

    text = xml.decode() if isinstance(xml, bytes) else xml
    return XmlParser().from_string(text, binding)

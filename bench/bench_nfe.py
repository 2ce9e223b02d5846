"""NF-e figures: documents per second for build (nfelib bindings), sign (signxml, RSA-SHA1) and XSD validation
(lxml, official nfe_v4.00.xsd), with the PKCS#12 key and the schema loaded once, as a warm Lambda has them.

Each stage is timed per document; figures are medians over DOCS documents of ITEMS items each, plus the
one-off costs a cold start pays (schema compile, PKCS#12 load).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

DOCS = 100
ITEM_COUNTS = (1, 10, 50)
BRT = timezone(timedelta(hours=-3))


def _invoice(n_items: int, nnf: int):
    from chalicelib.invoicing.nfe_input import Address, Installment, Invoice, Issuer, Item, Payment, Recipient, TaxProfile

    sp = Address("Rua das Flores", "100", "Centro", "3550308", "São Paulo", "SP", "01001000")
    rj = Address("Av. Atlântica", "200", "Copacabana", "3304557", "Rio de Janeiro", "RJ", "22021001")
    items = tuple(Item(f"SKU-{i:04d}", f"Produto número {i} – edição padrão", "09012100", "5102", "UN", 1 + i % 5,
                       990 + 37 * i) for i in range(n_items))
    total = sum(i.total_cents for i in items) + 1500
    tax = TaxProfile(csosn=None, icms_cst="00", icms_rate=Decimal(18), icms_interstate_rate=Decimal(12),
                     pis_cst="01", pis_rate=Decimal("1.65"), cofins_cst="01", cofins_rate=Decimal("7.6"))
    return Invoice(
        issuer=Issuer("11222333000181", "123456789012", "Loja Exemplo Ltda", None, sp, "regime_normal"),
        recipient=Recipient("45723174000110", "Comércio Carioca S.A.", rj, ind_ie_dest="1", ie="86543210"),
        items=items, tax=tax,
        payment=Payment("boleto", (Installment(date(2026, 12, 22), total - total // 2),
                                   Installment(date(2027, 1, 22), total // 2))),
        serie=1, nnf=nnf, cnf=f"{(nnf * 7919) % 10**8:08d}", issued_at=datetime(2026, 11, 22, 10, 0, tzinfo=BRT),
        shipping_cents=1500, tp_amb="2",
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f}"


def main() -> None:
    from chalicelib.invoicing import xsd
    from chalicelib.invoicing.nfe_xml import build_nfe
    from chalicelib.invoicing.signing import generate_test_certificate, load_pkcs12, sign_nfe

    started = time.perf_counter()
    xsd.load_schemas()
    schema_s = time.perf_counter() - started
    data, password = generate_test_certificate("11222333000181")
    started = time.perf_counter()
    key = load_pkcs12(data, password)
    key_s = time.perf_counter() - started
    print(f"one-off: XSD compile {_ms(schema_s)} ms, PKCS#12 load {_ms(key_s)} ms (cached afterwards)")
    print(f"{'items':>5} {'build ms':>9} {'sign ms':>9} {'xsd ms':>9} {'total ms':>9} {'NF-e/s':>8}"
          f"   split build/sign/xsd   {'build/s':>8} {'sign/s':>8} {'xsd/s':>8}")
    for n_items in ITEM_COUNTS:
        build_t, sign_t, xsd_t = [], [], []
        base = _invoice(n_items, 1)
        for doc in range(DOCS):
            inv = replace(base, nnf=doc + 1)
            t0 = time.perf_counter()
            built = build_nfe(inv)
            t1 = time.perf_counter()
            signed = sign_nfe(built.xml, key)
            t2 = time.perf_counter()
            errors = xsd.validate_nfe(signed)
            t3 = time.perf_counter()
            if errors:
                raise SystemExit(f"invalid NF-e in the benchmark: {errors[0]}")
            build_t.append(t1 - t0)
            sign_t.append(t2 - t1)
            xsd_t.append(t3 - t2)
        b, s, v = (statistics.median(x) for x in (build_t, sign_t, xsd_t))
        total = b + s + v
        print(f"{n_items:>5} {_ms(b):>9} {_ms(s):>9} {_ms(v):>9} {_ms(total):>9} {1 / total:8.0f}"
              f"   {b / total:5.0%} / {s / total:4.0%} / {v / total:4.0%}      {1 / b:8.0f} {1 / s:8.0f} {1 / v:8.0f}")


if __name__ == "__main__":
    main()

"""Collections figures: boletos encoded per second, BR Codes built (and parsed) per second, QR PNGs per second.

Pure CPU work on one core; each figure is the best of a few timed runs, so it reads as the code's
cost rather than the machine's noise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta

RUNS = 3


def _rate(action: Callable[[int], object], n: int) -> float:
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        for i in range(n):
            action(i)
        best = min(best, time.perf_counter() - start)
    return n / best


def main() -> None:
    from chalicelib.collections import boleto, pix

    params = {"convenio": "1234567", "carteira": "17"}
    base = date(2026, 1, 1)
    built = boleto.encode("001", base, 10_050, params, 1)
    codes = [pix.build_brcode(key="fulano@example.com.br", name="Loja Exemplo", city="São Paulo",
                              amount_cents=1_000 + i, txid=f"pedido{i}") for i in range(100)]

    figures = [
        ("boleto encode", _rate(lambda i: boleto.encode("001", base + timedelta(days=i % 3000), 100 + i, params, i), 2_000)),
        ("boleto decode (barcode)", _rate(lambda i: boleto.decode_barcode(built.barcode, base), 2_000)),
        ("boleto linha -> barcode", _rate(lambda i: boleto.linha_to_barcode(built.linha_digitavel), 2_000)),
        ("BR Code build", _rate(lambda i: pix.build_brcode(key="fulano@example.com.br", name="Loja Exemplo",
                                                          city="São Paulo", amount_cents=1_000 + i, txid=f"pedido{i}"),
                                1_000)),
        ("BR Code parse", _rate(lambda i: pix.parse_brcode(codes[i % 100]), 1_000)),
        ("Pix QR PNG (segno, M, scale 10)", _rate(lambda i: pix.qrcode_png(codes[i % 100]), 20)),
    ]
    print(f"{'operation':34} {'per second':>12}")
    for label, rate in figures:
        print(f"{label:34} {rate:12,.0f}")


if __name__ == "__main__":
    main()

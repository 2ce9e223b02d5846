"""Brazilian documents for tests that need one nobody used before."""

from __future__ import annotations


def fresh_cnpj() -> str:
    """A valid CNPJ no example used before (hypothesis seeds `random`, so not validate_docbr's generator)."""
    from uuid import uuid4

    digits = [int(d) for d in f"{uuid4().int % 10**8:08d}0001"]
    for weights in ([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]):
        rest = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        digits.append(0 if rest < 2 else 11 - rest)
    return "".join(map(str, digits))

"""ICMS rates a regime-normal tenant gets unless its tax rules say otherwise (data, not code).

- Internal ("modal") rate of each UF, 2026: the general rate of the state's ICMS law for goods without a
  rate of their own. Goods with special rates (fuel, energy, basic food) need the product's `tax` rules.
  The Fundo de Combate à Pobreza (e.g. RJ's 2 %) is not included: it is written as 0 in the DIFAL group.
- Interstate rate (Resolução do Senado 22/1989): 7 % from the South and Southeast (except Espírito Santo)
  to the North, Northeast, Center-West and Espírito Santo; 12 % otherwise. Resolução do Senado 13/2012:
  4 % for imported goods (NF-e origin 1, 2, 3 or 8).
"""

from __future__ import annotations

from decimal import Decimal

INTERNAL_RATE: dict[str, Decimal] = {uf: Decimal(rate) for uf, rate in {
    "AC": "19", "AL": "19", "AP": "18", "AM": "20", "BA": "20.5", "CE": "20", "DF": "20", "ES": "17",
    "GO": "19", "MA": "23", "MT": "17", "MS": "17", "MG": "18", "PA": "19", "PB": "20", "PR": "19.5",
    "PE": "20.5", "PI": "22.5", "RJ": "20", "RN": "20", "RS": "17", "RO": "19.5", "RR": "20", "SC": "17",
    "SP": "18", "SE": "20", "TO": "20",
}.items()}

SOUTH_SOUTHEAST_BUT_ES = frozenset({"PR", "RS", "SC", "MG", "RJ", "SP"})
IMPORTED_ORIGINS = frozenset({1, 2, 3, 8})


def interstate_rate(origin_uf: str, destination_uf: str, goods_origin: int = 0) -> Decimal:
    """The interstate ICMS rate of a sale from `origin_uf` to `destination_uf` of goods of NF-e origin `goods_origin`."""
    if goods_origin in IMPORTED_ORIGINS:
        return Decimal(4)
    if origin_uf in SOUTH_SOUTHEAST_BUT_ES and destination_uf not in SOUTH_SOUTHEAST_BUT_ES:
        return Decimal(7)
    return Decimal(12)


def internal_rate(uf: str) -> Decimal:
    return INTERNAL_RATE.get(uf, Decimal(18))

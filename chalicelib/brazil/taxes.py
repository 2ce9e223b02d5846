"""The NF-e tax codes a tax rule may name, their groups, and how a rule is judged against the tenant's regime.

Each code table is written once, as the `Literal` the API validates with; the groups the rules and the NF-e
read (`PIS_COFINS_CST_NT`, …) are taken from those literals, so a code added to a table reaches both.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.money import Percent

# CSOSN (Simples Nacional, CRT 1/4): 101 with credit, 102/103/300/400 without.
Csosn = Literal["101", "102", "103", "300", "400"]
# ICMS CST (regime normal, CRT 2/3): 00 tributada integralmente; 40 isenta and 41 não tributada (no base, no value).
IcmsCstTaxed = Literal["00"]
IcmsCstUntaxed = Literal["40", "41"]
IcmsCst = Literal[IcmsCstTaxed, IcmsCstUntaxed]
# PIS/COFINS CST by the NF-e group each is written in: by rate (PISAliq), not taxed (PISNT), other operations (PISOutr).
PisCofinsCstAliq = Literal["01", "02"]
PisCofinsCstNt = Literal["04", "05", "06", "07", "08", "09"]
PisCofinsCstOutr = Literal["49", "50", "51", "52", "53", "54", "55", "56", "60", "61", "62", "63", "64", "65", "66",
                           "67", "70", "71", "72", "73", "74", "75", "98", "99"]
PisCofinsCst = Literal[PisCofinsCstAliq, PisCofinsCstNt, PisCofinsCstOutr]

CSOSNS: frozenset[str] = frozenset(get_args(Csosn))
ICMS_CSTS: frozenset[str] = frozenset(get_args(IcmsCst))
ICMS_CST_TAXED: frozenset[str] = frozenset(get_args(IcmsCstTaxed))
PIS_COFINS_CSTS: frozenset[str] = frozenset(get_args(PisCofinsCst))
PIS_COFINS_CST_ALIQ: frozenset[str] = frozenset(get_args(PisCofinsCstAliq))
PIS_COFINS_CST_NT: frozenset[str] = frozenset(get_args(PisCofinsCstNt))
PIS_COFINS_CST_OUTR: frozenset[str] = frozenset(get_args(PisCofinsCstOutr))


class TaxRules(BaseModel):
    """How an NF-e line is taxed: the tenant's (settings `invoicing.tax`) over its regime's default, and a
    product's (`tax`) over the tenant's. Every field is optional: what is left out comes from the level below.

    Simples Nacional uses `csosn` (101 needs `simples_credit_percent`); regime normal uses `icms_cst`
    (00 taxed at `icms_percent` inside the state and `icms_interstate_percent` across states, 40 exempt,
    41 not taxed) and `icms_destination_percent` for the DIFAL. PIS/COFINS CSTs with their rates apply to both."""

    model_config = ConfigDict(extra="forbid")

    csosn: Csosn | None = None
    simples_credit_percent: Percent | None = Field(default=None, description="pCredSN, with CSOSN 101.")
    icms_cst: IcmsCst | None = None
    icms_percent: Percent | None = None
    icms_interstate_percent: Literal[4, 7, 12] | None = None
    icms_destination_percent: Percent | None = None
    pis_cst: PisCofinsCst | None = None
    pis_percent: Percent | None = None
    cofins_cst: PisCofinsCst | None = None
    cofins_percent: Percent | None = None

    def overrides(self) -> dict[str, Decimal | str]:
        """The fields this level sets, by name."""
        return {name: Decimal(value) if isinstance(value, int) else value
                for name, value in self.model_dump(exclude_none=True).items()}


SIMPLES_REGIMES = frozenset({"simples_nacional", "mei"})  # CRT 1 and 4: CSOSN; the others use ICMS CSTs
_ICMS_FIELDS = ("icms_cst", "icms_percent", "icms_interstate_percent", "icms_destination_percent")


def tax_rules_problems(tax_regime: str, *levels: TaxRules | None) -> list[tuple[str, str]]:
    """(field, message) for what the last level's rules get wrong once laid over the levels before it
    (the tenant's, then a product's) for a tenant of `tax_regime`; checked when rules are saved, so an
    NF-e is not the first to find out."""
    own = levels[-1].model_dump(exclude_none=True) if levels and levels[-1] is not None else {}
    merged: dict[str, object] = {}
    for level in levels:
        if level is not None:
            merged.update(level.model_dump(exclude_none=True))
    problems = []
    simples = tax_regime in SIMPLES_REGIMES
    for name in own:
        if simples and name in _ICMS_FIELDS:
            problems.append((name, "applies to regime normal; a Simples Nacional tenant's ICMS is its csosn"))
        if not simples and name in ("csosn", "simples_credit_percent"):
            problems.append((name, "applies to Simples Nacional only; this tenant's ICMS is its icms_cst"))
    if simples and merged.get("csosn") == "101" and "simples_credit_percent" not in merged and (
            "csosn" in own or "simples_credit_percent" in own):
        problems.append(("simples_credit_percent", "is required with CSOSN 101 (the credit rate, pCredSN)"))
    if simples and "simples_credit_percent" in own and merged.get("csosn") != "101":
        problems.append(("simples_credit_percent", "goes with CSOSN 101 only"))
    for tax in ("pis", "cofins"):
        if merged.get(f"{tax}_cst") in PIS_COFINS_CST_NT and merged.get(f"{tax}_percent") and (
                f"{tax}_cst" in own or f"{tax}_percent" in own):
            problems.append((f"{tax}_percent", f"must be left out: CST {merged[f'{tax}_cst']} is not taxed"))
    return problems

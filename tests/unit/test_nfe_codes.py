"""SEFAZ's codes as data: the texts the local authority answers with are SEFAZ's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from chalicelib.invoicing import codes

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sefaz"
NFE = "{http://www.portalfiscal.inf.br/nfe}"


def recorded_answers() -> list[tuple[str, str, str]]:
    """(file, cStat, xMotivo) of every status SEFAZ's recorded answers carry."""
    found = []
    for path in sorted(FIXTURES.glob("*.xml")):
        root = etree.fromstring(path.read_bytes())
        for cstat in root.iter(f"{NFE}cStat"):
            reason = cstat.getparent().findtext(f"{NFE}xMotivo") or ""
            found.append((path.name, cstat.text or "", reason))
    return found


@pytest.mark.parametrize(("name", "cstat", "reason"), recorded_answers())
def test_a_code_we_name_has_the_text_sefaz_answers_with(name: str, cstat: str, reason: str) -> None:
    assert cstat in codes.TEXTS, f"{name}: {cstat} is not in codes.TEXTS"
    text = codes.TEXTS[cstat]
    assert reason.removeprefix("Rejeição: ").startswith(text), (name, reason)


def test_the_groups_are_composed_and_disjoint_where_the_lifecycle_needs_it() -> None:
    assert codes.WITH_PROTOCOL == codes.AUTHORIZED | codes.DENIED
    assert codes.CANCELLED >= codes.EVENT_REGISTERED and codes.CONSULT_WITH_PROTOCOL >= codes.WITH_PROTOCOL
    assert not codes.AUTHORIZED & codes.DENIED and not codes.IN_PROCESSING & codes.WITH_PROTOCOL
    assert all(len(code) == 3 and code.isdigit() for code in codes.TEXTS)


def test_a_rejection_reads_as_sefaz_writes_it() -> None:
    assert codes.rejection(codes.DUPLICIDADE, "[nProt:135260000123456]") == \
        "Rejeição: Duplicidade de NF-e [nProt:135260000123456]"
    assert codes.rejection(codes.ASSINATURA) == "Rejeição: Assinatura difere do calculado"

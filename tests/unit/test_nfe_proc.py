"""nfeProc: the signed NFe spliced byte for byte next to protNFe, valid against procNFe_v4.00.xsd."""

from __future__ import annotations

from datetime import datetime

import pytest
from lxml import etree

from chalicelib.invoicing.nfe_xml import build_nfe
from chalicelib.invoicing.proc import (
    CSTAT_AUTORIZADO,
    XMOTIVO_AUTORIZADO,
    build_nfe_proc,
    build_prot_nfe,
    protocol_for,
)
from chalicelib.invoicing.signing import digest_value, sign_nfe, verify_signature
from chalicelib.invoicing.xsd import validate_nfe, validate_nfe_proc
from tests.unit.test_nfe_factories import BRT, invoice, read_binding, signing_key

NS = {"n": "http://www.portalfiscal.inf.br/nfe"}
RECEIVED_AT = datetime(2026, 11, 22, 10, 30, 7, tzinfo=BRT)


@pytest.fixture(scope="module")
def signed() -> tuple[str, bytes]:
    built = build_nfe(invoice(n_items=2, shipping_cents=990, installments=2))
    return built.chave, sign_nfe(built.xml, signing_key())


@pytest.fixture(scope="module")
def proc(signed: tuple[str, bytes]) -> bytes:
    prot = build_prot_nfe(protocol_for(signed[1], nprot="135260000012345", received_at=RECEIVED_AT))
    return build_nfe_proc(signed[1], prot)


def test_the_nfeproc_is_valid_against_the_official_xsd(proc: bytes) -> None:
    assert validate_nfe_proc(proc) == []


def test_the_signed_nfe_is_carried_byte_for_byte(signed: tuple[str, bytes], proc: bytes) -> None:
    body = signed[1].split(b"?>", 1)[1]
    assert body in proc
    assert verify_signature(proc)  # the signature still verifies inside nfeProc


def test_the_protocol_repeats_the_chave_environment_and_digest(signed: tuple[str, bytes], proc: bytes) -> None:
    chave, nfe = signed
    root = etree.fromstring(proc)
    inf = root.find("n:protNFe/n:infProt", NS)
    assert inf.findtext("n:chNFe", namespaces=NS) == chave
    assert inf.findtext("n:tpAmb", namespaces=NS) == "2"
    assert inf.findtext("n:digVal", namespaces=NS) == digest_value(nfe)
    assert inf.findtext("n:nProt", namespaces=NS) == "135260000012345"
    assert inf.findtext("n:dhRecbto", namespaces=NS) == "2026-11-22T10:30:07-03:00"
    assert (inf.findtext("n:cStat", namespaces=NS), inf.findtext("n:xMotivo", namespaces=NS)) == (
        CSTAT_AUTORIZADO, XMOTIVO_AUTORIZADO) == ("100", "Autorizado o uso da NF-e")
    assert root.get("versao") == "4.00" and root.find("n:protNFe", NS).get("versao") == "4.00"


def test_nfelib_reads_the_nfeproc_back(proc: bytes) -> None:
    from nfelib.nfe.bindings.v4_0.proc_nfe_v4_00 import NfeProc

    parsed = read_binding(proc, NfeProc)
    assert isinstance(parsed, NfeProc)
    assert parsed.protNFe.infProt.cStat == "100"


def test_a_bad_protocol_number_is_refused(signed: tuple[str, bytes]) -> None:
    with pytest.raises(ValueError, match="15 digits"):
        build_prot_nfe(protocol_for(signed[1], nprot="123", received_at=RECEIVED_AT))


def test_only_an_nfe_and_a_protnfe_are_spliced(signed: tuple[str, bytes]) -> None:
    prot = build_prot_nfe(protocol_for(signed[1], nprot="135260000012345", received_at=RECEIVED_AT))
    with pytest.raises(ValueError):
        build_nfe_proc(prot, prot)
    with pytest.raises(ValueError):
        build_nfe_proc(signed[1], signed[1])


def test_an_unsigned_nfe_is_not_schema_valid() -> None:
    errors = validate_nfe(build_nfe(invoice()).xml)
    assert errors and "Signature" in errors[0].message and errors[0].line >= 1

"""The request documents the SEFAZ adapter builds with nfelib's bindings, as SEFAZ reads them out of the envelope.

Each one is checked against the official XSD nfelib ships (`nfe/schemas/v4_0`, `nfe_evento_cancel/schemas/v1_0`,
`nfe_evento_cce/schemas/v1_0`, `nfe_evento_generico/schemas/v1_0`), its key fields read back, free text with XML's
special characters and accents round-tripped, and the signed ones verified."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from lxml import etree

from chalicelib.invoicing import sefaz
from chalicelib.invoicing.sefaz import (
    AUTORIZACAO,
    CONSULTA,
    INUTILIZACAO,
    RECEPCAO_EVENTO,
    RET_AUTORIZACAO,
    XCONDUSO_CCE,
    SefazAuthority,
    Service,
)
from chalicelib.invoicing.signing import SigningKey, sign_enveloped
from tests.unit.test_nfe_factories import ISSUER_CNPJ
from tests.unit.test_sefaz_adapter import (
    CHAVE,
    NFE,
    FakeTransport,
    N,
    adapter,
    assert_signature_verifies,
    assert_valid,
    body_of,
    fixture,
    on,
    signed_nfe,
)

DS = "http://www.w3.org/2000/09/xmldsig#"
HOSTILE = '  Ação & <tag> "aspas" \'x\'\n\tmédia   çÇãõ ÿ > fim  '
ONE_LINE = 'Ação & <tag> "aspas" \'x\' média çÇãõ ÿ > fim'
HOSTILE_ESCAPED = "Ação &amp; &lt;tag&gt; \"aspas\" 'x' média çÇãõ ÿ &gt; fim".encode()


def sent(service: Service, answers: list[str], call: Callable[[SefazAuthority], object]) -> tuple[bytes, etree._Element]:
    """The one request `call` sends to `service`: the envelope's bytes and the document in nfeDadosMsg."""
    transport = FakeTransport(on(service, *[fixture(name) for name in answers]))
    call(adapter(transport))
    envelope = transport.calls[-1][2]
    assert transport.calls[-1][1] == service.soap_action
    (document,) = body_of(envelope)
    return envelope, document


def cancel(text: str = HOSTILE) -> tuple[bytes, etree._Element]:
    return sent(RECEPCAO_EVENTO, ["retEnvEvento_110111_135_cancelamento.xml"],
                lambda a: a.register_event(CHAVE, "110111", 1, text, "homologacao", protocol="135260000123456"))


def correction(text: str = HOSTILE, sequence: int = 12) -> tuple[bytes, etree._Element]:
    return sent(RECEPCAO_EVENTO, ["retEnvEvento_110110_135_cce.xml"],
                lambda a: a.register_event(CHAVE, "110110", sequence, text, "homologacao"))


def inut(reason: str = HOSTILE) -> tuple[bytes, etree._Element]:
    return sent(INUTILIZACAO, ["retInutNFe_102_homologada.xml"],
                lambda a: a.void_numbers(ISSUER_CNPJ, 7, 43, 123456789, reason, "homologacao"))


def envi() -> tuple[bytes, etree._Element]:
    return sent(AUTORIZACAO, ["retEnviNFe_100_autorizado.xml"], lambda a: a.authorize(signed_nfe(), "homologacao"))


def cons_reci() -> tuple[bytes, etree._Element]:
    transport = FakeTransport({**on(AUTORIZACAO, fixture("retEnviNFe_103_recebido.xml")),
                               **on(RET_AUTORIZACAO, fixture("retConsReciNFe_104_100_autorizado.xml"))})
    adapter(transport).authorize(signed_nfe(), "homologacao")
    envelope = transport.calls[-1][2]
    (document,) = body_of(envelope)
    return envelope, document


def cons_sit() -> tuple[bytes, etree._Element]:
    return sent(CONSULTA, ["retConsSitNFe_100_autorizado.xml"], lambda a: a.consult(signed_nfe(), "homologacao"))


REQUESTS: list[tuple[str, Callable[[], tuple[bytes, etree._Element]], str, list[str]]] = [
    ("enviNFe", envi, "NFe", ["nfe/schemas/v4_0/enviNFe_v4.00.xsd"]),
    ("consReciNFe", cons_reci, "", ["nfe/schemas/v4_0/consReciNFe_v4.00.xsd"]),
    ("consSitNFe", cons_sit, "", ["nfe/schemas/v4_0/consSitNFe_v4.00.xsd"]),
    ("envEvento", cancel, "evento", ["nfe_evento_cancel/schemas/v1_0/envEventoCancNFe_v1.00.xsd",
                                     "nfe_evento_generico/schemas/v1_0/envEvento_v1.00.xsd"]),
    ("envEvento", correction, "evento", ["nfe_evento_cce/schemas/v1_0/envCCe_v1.00.xsd",
                                         "nfe_evento_generico/schemas/v1_0/envEvento_v1.00.xsd"]),
    ("inutNFe", inut, "", ["nfe/schemas/v4_0/inutNFe_v4.00.xsd"]),
]


@pytest.mark.parametrize(("root", "build", "signed_child", "schemas"), REQUESTS,
                         ids=["enviNFe", "consReciNFe", "consSitNFe", "cancelamento", "cce", "inutNFe"])
def test_each_request_is_valid_against_its_official_schema_compact_and_in_the_default_nfe_namespace(
        root: str, build: Callable[[], tuple[bytes, etree._Element]], signed_child: str, schemas: list[str]) -> None:
    envelope, document = build()
    assert document.tag == f"{{{NFE}}}{root}"
    for schema in schemas:
        assert_valid(document, schema)
    # no ns0 prefix (looked for as a prefix: the signature's and certificate's base64 may spell "ns0")
    assert re.search(rb"</?ns0:|xmlns:ns0=", envelope) is None
    assert b"<?xml" not in envelope[1:]  # one declaration, the SOAP envelope's
    # the NF-e namespace is the default one: no element is written with a prefix
    assert all(el.prefix is None for el in document.iter(etree.Element))
    assert {etree.QName(el).namespace for el in document.iter(etree.Element)} <= {NFE, DS}
    # no indentation: the only text is the fields' own (signing and SEFAZ's rule 588 rely on it)
    for el in document.iter(etree.Element):
        assert el.tail is None or el is document
        if len(el):
            assert el.text is None, el.tag
    if signed_child:
        (child,) = document.findall(f"n:{signed_child}", N)
        assert child.find("ds:Signature", N) is not None


def test_the_cancellation_event_carries_its_fields_and_the_justification_on_one_line_escaped() -> None:
    envelope, env = cancel()
    assert HOSTILE_ESCAPED in envelope  # & < > escaped, quotes and accents as they are, in UTF-8
    evento = env.find("n:evento", N)
    assert_valid(evento, "nfe_evento_cancel/schemas/v1_0/eventoCancNFe_v1.00.xsd")
    assert evento.get("versao") == "1.00"
    inf = evento.find("n:infEvento", N)
    assert inf.get("Id") == f"ID110111{CHAVE}01"
    assert [inf.findtext(f"n:{t}", namespaces=N) for t in (
        "cOrgao", "tpAmb", "CNPJ", "chNFe", "dhEvento", "tpEvento", "nSeqEvento", "verEvento")] == [
        "35", "2", ISSUER_CNPJ, CHAVE, "2026-11-22T11:00:00-03:00", "110111", "1", "1.00"]
    det = inf.find("n:detEvento", N)
    assert det.get("versao") == "1.00"
    assert [el.tag.split("}")[1] for el in det] == ["descEvento", "nProt", "xJust"]
    assert [el.text for el in det] == ["Cancelamento", "135260000123456", ONE_LINE]
    assert_signature_verifies(evento)


def test_the_carta_de_correcao_carries_the_correction_escaped_and_the_fixed_conditions() -> None:
    envelope, env = correction()
    assert HOSTILE_ESCAPED in envelope
    evento = env.find("n:evento", N)
    assert_valid(evento, "nfe_evento_cce/schemas/v1_0/CCe_v1.00.xsd")
    inf = evento.find("n:infEvento", N)
    assert inf.get("Id") == f"ID110110{CHAVE}12"
    assert (inf.findtext("n:tpEvento", namespaces=N), inf.findtext("n:nSeqEvento", namespaces=N)) == ("110110", "12")
    det = inf.find("n:detEvento", N)
    assert [el.tag.split("}")[1] for el in det] == ["descEvento", "xCorrecao", "xCondUso"]
    assert [el.text for el in det] == ["Carta de Correção", ONE_LINE, XCONDUSO_CCE]
    assert_signature_verifies(evento)


def test_the_voiding_request_has_the_manuals_id_the_fields_unpadded_and_the_justification_escaped() -> None:
    envelope, document = inut()
    assert HOSTILE_ESCAPED in envelope
    assert document.get("versao") == "4.00"
    inf = document.find("n:infInut", N)
    assert inf.get("Id") == f"ID3526{ISSUER_CNPJ}55007000000043123456789"
    assert [(el.tag.split("}")[1], el.text) for el in inf] == [
        ("tpAmb", "2"), ("xServ", "INUTILIZAR"), ("cUF", "35"), ("ano", "26"), ("CNPJ", ISSUER_CNPJ), ("mod", "55"),
        ("serie", "7"), ("nNFIni", "43"), ("nNFFin", "123456789"), ("xJust", ONE_LINE)]
    assert_signature_verifies(document)


def test_the_queries_carry_the_environment_and_their_key() -> None:
    _, reci = cons_reci()
    assert (reci.get("versao"), [el.text for el in reci]) == ("4.00", ["2", "351000123456789"])
    _, sit = cons_sit()
    assert (sit.get("versao"), [el.text for el in sit]) == ("4.00", ["2", "CONSULTAR", CHAVE])


def test_the_envelopes_wrap_the_signed_documents_byte_for_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    envelope, envi_nfe = envi()
    assert [el.tag.split("}")[1] for el in envi_nfe] == ["idLote", "indSinc", "NFe"]
    assert signed_nfe().split(b"?>", 1)[1] in envelope
    signed: list[bytes] = []

    def recording(xml: bytes, key: SigningKey, inf_tag: str) -> bytes:
        signed.append(sign_enveloped(xml, key, inf_tag))
        return signed[-1]

    monkeypatch.setattr(sefaz, "sign_enveloped", recording)
    for build, children in ((cancel, ["idLote", "evento"]), (correction, ["idLote", "evento"]), (inut, None)):
        envelope, document = build()
        assert signed[-1] in envelope  # the signature's bytes, never parsed and rendered again
        if children:
            assert [el.tag.split("}")[1] for el in document] == children
    assert len(signed) == 3

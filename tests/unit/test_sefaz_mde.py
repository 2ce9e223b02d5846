"""The SEFAZ adapter's MD-e (manifestação do destinatário): the event built with nfelib's nfe_evento_mde
bindings, signed, valid against envConfRecebto_v1.00.xsd, sent to the Ambiente Nacional (cOrgao 91)
whatever the tenant's UF, and the recorded answers read (135 registered, 573 a repeat)."""

from __future__ import annotations

from pathlib import Path

import nfelib
import pytest
from lxml import etree

from chalicelib.invoicing.sefaz import AN_RECEPCAO_EVENTO, RECEPCAO_EVENTO
from chalicelib.platform.errors import InvalidRequestError
from tests.unit.test_sefaz_adapter import FakeTransport, adapter, body_of, fixture

KEY = "35261145723174000110550010000010011520638120"
SCHEMA = etree.XMLSchema(etree.parse(str(Path(nfelib.__file__).parent / "nfe_evento_mde" / "schemas" / "v1_0"
                                          / "envConfRecebto_v1.00.xsd")))
NS = {"n": "http://www.portalfiscal.inf.br/nfe"}


@pytest.mark.parametrize("uf", ["SP", "RJ", "MG"])
def test_a_confirmation_goes_to_the_ambiente_nacional_valid_and_signed(uf):
    url = AN_RECEPCAO_EVENTO["homologacao"]
    transport = FakeTransport({(url, RECEPCAO_EVENTO.soap_action): [fixture("retEnvEvento_210200_135_confirmacao.xml")]})
    answer = adapter(transport, uf=uf).manifest("11222333000181", KEY, "210200", None, "homologacao")
    assert (answer.cstat, answer.protocol) == ("135", "891260000012345")
    env = body_of(transport.calls[0][2]).find("n:envEvento", NS)
    assert SCHEMA.validate(env), SCHEMA.error_log
    inf = env.find("n:evento/n:infEvento", NS)
    assert (inf.findtext("n:cOrgao", namespaces=NS), inf.findtext("n:tpEvento", namespaces=NS),
            inf.get("Id")) == ("91", "210200", f"ID210200{KEY}01")
    assert env.find("n:evento/{http://www.w3.org/2000/09/xmldsig#}Signature", NS) is not None
    assert inf.find("n:detEvento/n:xJust", NS) is None


def test_an_operation_not_performed_carries_its_reason_and_a_repeat_reads_573():
    url = AN_RECEPCAO_EVENTO["producao"]
    transport = FakeTransport({(url, RECEPCAO_EVENTO.soap_action): [fixture("retEnvEvento_573_duplicidade_evento.xml")]})
    answer = adapter(transport).manifest("11222333000181", KEY, "210240", "Mercadoria nao foi entregue", "producao")
    assert answer.cstat == "573"
    env = body_of(transport.calls[0][2]).find("n:envEvento", NS)
    assert SCHEMA.validate(env), SCHEMA.error_log
    assert env.findtext("n:evento/n:infEvento/n:detEvento/n:xJust", namespaces=NS) == "Mercadoria nao foi entregue"


def test_only_md_e_events_are_sent():
    with pytest.raises(InvalidRequestError):
        adapter(FakeTransport()).manifest("11222333000181", KEY, "110111", None, "homologacao")


def test_the_distribution_continues_from_the_last_nsu_and_opens_each_document():
    from chalicelib.invoicing.dfe import read_summary
    from chalicelib.invoicing.sefaz import AN_DISTRIBUICAO, DISTRIBUICAO

    url = AN_DISTRIBUICAO["homologacao"]
    transport = FakeTransport({(url, DISTRIBUICAO.soap_action): [fixture("retDistDFeInt_138_documentos.xml")]})
    answer = adapter(transport, uf="RJ").distribute("11222333000181", "homologacao", "40")
    assert (answer.cstat, answer.last_nsu, answer.max_nsu) == ("138", "000000000000042", "000000000000050")
    assert [(d.nsu, d.kind) for d in answer.documents] == [("000000000000041", "resNFe"), ("000000000000042", "procNFe")]
    assert read_summary(answer.documents[0].xml)["chNFe"] == KEY and answer.documents[1].xml.startswith(b"<?xml")
    envelope = etree.fromstring(transport.calls[0][2])
    request = envelope.find(".//n:distDFeInt", NS)
    schema = etree.XMLSchema(etree.parse(str(Path(nfelib.__file__).parent / "nfe_dist_dfe" / "schemas" / "v1_0"
                                              / "distDFeInt_v1.01.xsd")))
    assert schema.validate(request), schema.error_log
    assert (request.findtext("n:cUFAutor", namespaces=NS), request.findtext("n:distNSU/n:ultNSU", namespaces=NS)) == (
        "33", "000000000000040")
    assert envelope.find(".//{http://www.portalfiscal.inf.br/nfe/wsdl/NFeDistribuicaoDFe}nfeDistDFeInteresse") \
        is not None


@pytest.mark.parametrize("name, cstat", [("retDistDFeInt_137_nenhum.xml", "137"),
                                         ("retDistDFeInt_656_consumo_indevido.xml", "656")])
def test_nothing_new_and_misuse_say_where_the_sequence_is(name, cstat):
    from chalicelib.invoicing.sefaz import AN_DISTRIBUICAO, DISTRIBUICAO

    url = AN_DISTRIBUICAO["producao"]
    transport = FakeTransport({(url, DISTRIBUICAO.soap_action): [fixture(name)]})
    answer = adapter(transport).distribute("11222333000181", "producao", "50")
    assert (answer.cstat, answer.last_nsu, answer.documents) == (cstat, "000000000000050", [])


def test_a_gap_is_asked_by_its_nsu_alone():
    from chalicelib.invoicing.sefaz import AN_DISTRIBUICAO, DISTRIBUICAO

    url = AN_DISTRIBUICAO["homologacao"]
    transport = FakeTransport({(url, DISTRIBUICAO.soap_action): [fixture("retDistDFeInt_137_nenhum.xml")]})
    adapter(transport).distribute_one("11222333000181", "homologacao", "42")
    request = etree.fromstring(transport.calls[0][2]).find(".//n:distDFeInt", NS)
    schema = etree.XMLSchema(etree.parse(str(Path(nfelib.__file__).parent / "nfe_dist_dfe" / "schemas" / "v1_0"
                                              / "distDFeInt_v1.01.xsd")))
    assert schema.validate(request), schema.error_log
    assert request.findtext("n:consNSU/n:NSU", namespaces=NS) == "000000000000042"
    assert request.find("n:distNSU", NS) is None

"""The SEFAZ adapter at the transport seam: recorded SEFAZ answers in, the envelopes it sends checked.

A FakeTransport answers by (URL, SOAPAction) from a table and fails loudly on any other call. The tenant's
A1 here is a leaf of a tiny fake "ICP-Brasil" chain (the adapter refuses self-signed test certificates)."""

from __future__ import annotations

import copy
import http.server
import ipaddress
import re
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.verifier import SignatureConfiguration, XMLVerifier

from chalicelib.brazil.places import UF_CODES
from chalicelib.invoicing.authority import AuthorityUnavailableError, LocalAuthority
from chalicelib.invoicing.model import status_of_answer
from chalicelib.invoicing.nfe_xml import build_nfe
from chalicelib.invoicing.proc import build_nfe_proc
from chalicelib.invoicing.sefaz import (
    AUTHORIZER_OF_UF,
    AUTORIZACAO,
    CONSULTA,
    ENDPOINTS,
    INUTILIZACAO,
    RECEPCAO_EVENTO,
    RET_AUTORIZACAO,
    SOAP12_NAMESPACE,
    XCONDUSO_CCE,
    CertificateNotAcceptedError,
    RequestsSoapTransport,
    SefazAuthority,
    UnsupportedAuthorizerError,
)
from chalicelib.invoicing.signing import SigningKey, sign_nfe
from chalicelib.invoicing.xsd import SCHEMA_DIR, validate_nfe_proc
from chalicelib.platform.clock import FixedClock
from chalicelib.platform.errors import InvalidRequestError
from tests.unit.test_nfe_factories import ISSUER_CNPJ, invoice, signing_key

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sefaz"
NFELIB = SCHEMA_DIR.parent.parent.parent
NFE = "http://www.portalfiscal.inf.br/nfe"
N = {"n": NFE, "s": SOAP12_NAMESPACE, "ds": "http://www.w3.org/2000/09/xmldsig#"}
CHAVE = "35261111222333000181550010000000421520638121"
NOW = datetime(2026, 11, 22, 14, 0, 0, tzinfo=UTC)
SP_HOM = ENDPOINTS["SP"]["homologacao"]


# A tiny fake ICP-Brasil chain: a CA and the issuer's e-CNPJ A1 leaf
def _name(cn: str, ou: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "BR"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ICP-Brasil"),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _issue(subject: x509.Name, key: rsa.RSAPrivateKey, issuer: x509.Name, issuer_key: rsa.RSAPrivateKey, *,
           ca: bool, at: datetime = NOW, san: x509.GeneralName | None = None) -> x509.Certificate:
    """A certificate valid from a day before `at`: NOW for what the adapter (frozen at NOW) judges, the wall
    clock for what OpenSSL judges in the TLS handshake (it reads the system clock)."""
    start = at - timedelta(days=1)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(start)
               .not_valid_after(start + timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if san is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName([san]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _ca(at: datetime = NOW) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    return _ca_from(at)  # one cache key per instant: functools.cache tells _ca() from _ca(NOW)


@cache
def _ca_from(at: datetime) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = _name("AC TESTE RETAGUARDA v5", "Autoridade Certificadora Raiz de Teste")
    return key, _issue(name, key, name, key, ca=True, at=at)


def icp_key(at: datetime = NOW) -> SigningKey:
    return _icp_key_from(at)


@cache
def _icp_key_from(at: datetime) -> SigningKey:
    ca_key, ca = _ca(at)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _issue(_name(f"LOJA EXEMPLO LTDA:{ISSUER_CNPJ}", "RFB e-CNPJ A1"), key, ca.subject, ca_key, ca=False, at=at)
    return SigningKey(private_key=key, certificate=cert, fingerprint="fake-icp-brasil-leaf")


@cache
def signed_nfe() -> bytes:
    return sign_nfe(build_nfe(invoice()).xml, icp_key())


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class FakeTransport:
    """Answers by (URL, SOAPAction); each key holds a list of answers, the last one repeating.
    Any call not in the table is a test failure."""

    def __init__(self, table: dict[tuple[str, str], list[bytes | Exception]] | None = None) -> None:
        self.table = {key: list(answers) for key, answers in (table or {}).items()}
        self.calls: list[tuple[str, str, bytes, SigningKey]] = []

    def post(self, url: str, soap_action: str, envelope: bytes, cert: SigningKey) -> bytes:
        self.calls.append((url, soap_action, envelope, cert))
        answers = self.table.get((url, soap_action))
        if not answers:
            raise AssertionError(f"unexpected SEFAZ call: {url} {soap_action}")
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def on(service, *answers: bytes | Exception, env: str = "homologacao", authorizer: str = "SP"):
    return {(ENDPOINTS[authorizer][env][service.key], service.soap_action): list(answers)}


def adapter(transport: FakeTransport, *, uf: str = "SP", key: SigningKey | None = None,
            sleeps: list[float] | None = None, poll_attempts: int = 4) -> SefazAuthority:
    return SefazAuthority(transport, lambda: key or icp_key(), uf, FixedClock(NOW), poll_attempts=poll_attempts,
                          sleep=(sleeps.append if sleeps is not None else lambda _s: None))


def body_of(envelope: bytes) -> etree._Element:
    root = etree.fromstring(envelope)
    assert root.tag == f"{{{SOAP12_NAMESPACE}}}Envelope"
    (msg,) = root.findall("s:Body/*", N)
    return msg


def _schema(path: str) -> etree.XMLSchema:
    return _compiled(str(NFELIB / path))


@cache
def _compiled(path: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(path))


def assert_valid(element: etree._Element, path: str) -> None:
    schema = _schema(path)
    doc = etree.fromstring(etree.tostring(element))
    assert schema.validate(doc), schema.error_log


def standalone(element: etree._Element) -> etree._Element:
    """The document as SEFAZ reads it out of nfeDadosMsg: without the envelope's unused declarations."""
    alone = copy.deepcopy(element)
    etree.cleanup_namespaces(alone)
    return etree.fromstring(etree.tostring(alone))


def assert_signature_verifies(document: etree._Element) -> None:
    config = SignatureConfiguration(require_x509=True, location="./",
                                    signature_methods=frozenset({SignatureMethod.RSA_SHA1}),
                                    digest_algorithms=frozenset({DigestAlgorithm.SHA1}),
                                    verification_time=NOW)  # the certificate is judged when the adapter signed
    verifier = XMLVerifier()
    verifier.excise_empty_xmlns_declarations = True
    verifier.verify(standalone(document), x509_cert=icp_key().certificate, expect_config=config)


# Authorization
def test_an_authorized_nfe_gives_the_protocol_and_a_protnfe_that_makes_a_valid_nfeproc() -> None:
    transport = FakeTransport(on(AUTORIZACAO, fixture("retEnviNFe_100_autorizado.xml")))
    answer = adapter(transport).authorize(signed_nfe(), "homologacao")
    assert (answer.cstat, answer.reason, answer.protocol) == ("100", "Autorizado o uso da NF-e", "135260000123456")
    assert answer.received_at == datetime.fromisoformat("2026-11-22T10:30:05-03:00")
    assert answer.prot_nfe is not None and answer.prot_nfe.startswith(b'<protNFe xmlns="http://www.portalfiscal')
    assert b"soap" not in answer.prot_nfe
    assert validate_nfe_proc(build_nfe_proc(signed_nfe(), answer.prot_nfe)) == []


# Consulta (after a 204)
def test_a_consult_sends_conssitnfe_and_gives_the_kept_protnfe_that_makes_a_valid_nfeproc() -> None:
    transport = FakeTransport(on(CONSULTA, fixture("retConsSitNFe_100_autorizado.xml")))
    answer = adapter(transport).consult(signed_nfe(), "homologacao")
    assert answer is not None
    assert (answer.cstat, answer.reason, answer.protocol) == ("100", "Autorizado o uso da NF-e", "135260000123456")
    assert answer.received_at == datetime.fromisoformat("2026-11-22T10:30:05-03:00")  # the authorization's instant
    assert answer.prot_nfe is not None and validate_nfe_proc(build_nfe_proc(signed_nfe(), answer.prot_nfe)) == []
    ((url, action, envelope, _),) = transport.calls
    assert (url, action) == (SP_HOM[CONSULTA.key],
                             "http://www.portalfiscal.inf.br/nfe/wsdl/NFeConsultaProtocolo4/nfeConsultaNF")
    (cons,) = body_of(envelope).findall("n:consSitNFe", N)
    assert_valid(cons, "nfe/schemas/v4_0/consSitNFe_v4.00.xsd")
    assert (cons.findtext("n:tpAmb", namespaces=N), cons.findtext("n:xServ", namespaces=N),
            cons.findtext("n:chNFe", namespaces=N)) == ("2", "CONSULTAR", CHAVE)


def test_a_consult_of_an_nfe_sefaz_does_not_hold_is_none() -> None:
    transport = FakeTransport(on(CONSULTA, fixture("retConsSitNFe_217_nao_consta.xml")))
    assert adapter(transport).consult(signed_nfe(), "homologacao") is None


def test_the_adapter_implements_the_whole_fiscal_authority_port() -> None:
    from chalicelib.invoicing.authority import FiscalAuthority

    port = {name for name in vars(FiscalAuthority) if not name.startswith("_")}
    assert port == {"authorize", "register_event", "void_numbers", "consult", "manifest", "distribute",
                    "distribute_one"}
    for implementation in (SefazAuthority, LocalAuthority):
        assert port <= set(vars(implementation)), implementation


def test_the_authorization_envelope_is_soap_1_2_with_envinfe_4_00_idlote_indsinc_and_the_signed_bytes() -> None:
    transport = FakeTransport(on(AUTORIZACAO, fixture("retEnviNFe_100_autorizado.xml")))
    adapter(transport).authorize(signed_nfe(), "homologacao")
    ((url, action, envelope, cert),) = transport.calls
    assert url == "https://homologacao.nfe.fazenda.sp.gov.br/ws/nfeautorizacao4.asmx"
    assert action == "http://www.portalfiscal.inf.br/nfe/wsdl/NFeAutorizacao4/nfeAutorizacaoLote"
    assert cert is icp_key()
    msg = body_of(envelope)
    assert msg.tag == "{http://www.portalfiscal.inf.br/nfe/wsdl/NFeAutorizacao4}nfeDadosMsg"
    (envi,) = msg
    assert envi.tag == f"{{{NFE}}}enviNFe" and envi.get("versao") == "4.00"
    assert re.fullmatch(r"[0-9]{1,15}", envi.findtext("n:idLote", namespaces=N) or "")
    assert envi.findtext("n:indSinc", namespaces=N) == "1"
    assert signed_nfe().split(b"?>", 1)[1] in envelope  # spliced byte for byte, never re-serialized
    assert_valid(envi, "nfe/schemas/v4_0/enviNFe_v4.00.xsd")


@pytest.mark.parametrize(("name", "cstat", "reason", "status"), [
    ("retEnviNFe_204_duplicidade.xml", "204", "Rejeição: Duplicidade de NF-e [nProt:135260000123456]"
                                              "[dhAut:2026-11-22T10:30:05-03:00]", "rejected"),
    ("retEnviNFe_539_chave_diferente.xml", "539", "Rejeição: Duplicidade de NF-e com diferença na Chave de Acesso",
     "rejected"),
    ("retEnviNFe_225_schema.xml", "225", "Rejeição: Falha no Schema XML do lote de NFe", "rejected"),
])
def test_a_rejection_carries_sefazs_cstat_and_reason_and_no_protocol(name: str, cstat: str, reason: str,
                                                                     status: str) -> None:
    answer = adapter(FakeTransport(on(AUTORIZACAO, fixture(name)))).authorize(signed_nfe(), "homologacao")
    assert answer.cstat == cstat and answer.reason.startswith(reason)
    assert answer.protocol is None and answer.prot_nfe is None
    assert status_of_answer(answer.cstat) == status


def test_a_denied_nfe_keeps_its_denial_protocol() -> None:
    answer = adapter(FakeTransport(on(AUTORIZACAO, fixture("retEnviNFe_110_denegada.xml")))).authorize(
        signed_nfe(), "homologacao")
    assert (answer.cstat, answer.reason, answer.protocol) == ("110", "Uso Denegado", "135260000123457")
    assert status_of_answer(answer.cstat) == "denied"


def test_a_received_batch_103_is_polled_on_retautorizacao_with_its_nrec_until_processed() -> None:
    sleeps: list[float] = []
    transport = FakeTransport({
        **on(AUTORIZACAO, fixture("retEnviNFe_103_recebido.xml")),
        **on(RET_AUTORIZACAO, fixture("retConsReciNFe_105_em_processamento.xml"),
             fixture("retConsReciNFe_104_100_autorizado.xml")),
    })
    answer = adapter(transport, sleeps=sleeps).authorize(signed_nfe(), "homologacao")
    assert (answer.cstat, answer.protocol) == ("100", "135260000123458")
    assert [c[1].rsplit("/", 1)[1] for c in transport.calls] == [
        "nfeAutorizacaoLote", "nfeRetAutorizacaoLote", "nfeRetAutorizacaoLote"]
    assert len(sleeps) == 2
    url, _, envelope, _ = transport.calls[1]
    assert url == SP_HOM["NFeRetAutorizacao"]
    msg = body_of(envelope)
    assert msg.tag == "{http://www.portalfiscal.inf.br/nfe/wsdl/NFeRetAutorizacao4}nfeDadosMsg"
    (cons,) = msg
    assert cons.get("versao") == "4.00" and cons.findtext("n:nRec", namespaces=N) == "351000123456789"
    assert cons.findtext("n:tpAmb", namespaces=N) == "2"
    assert_valid(cons, "nfe/schemas/v4_0/consReciNFe_v4.00.xsd")


def test_polling_is_bounded_and_a_batch_still_in_processing_leaves_the_invoice_pending() -> None:
    transport = FakeTransport({**on(AUTORIZACAO, fixture("retEnviNFe_103_recebido.xml")),
                               **on(RET_AUTORIZACAO, fixture("retConsReciNFe_105_em_processamento.xml"))})
    with pytest.raises(AuthorityUnavailableError, match="still processing"):
        adapter(transport, poll_attempts=3).authorize(signed_nfe(), "homologacao")
    assert len(transport.calls) == 1 + 3


@pytest.mark.parametrize("answer", [
    fixture("retEnviNFe_108_paralisado.xml"),
    fixture("soap_fault.xml"),
    b"<html>502 Bad Gateway</html",
    AuthorityUnavailableError("SEFAZ did not answer (ReadTimeout)"),
])
def test_a_paralysed_service_a_fault_or_a_transport_failure_is_authority_unavailable(answer: bytes | Exception) -> None:
    with pytest.raises(AuthorityUnavailableError):
        adapter(FakeTransport(on(AUTORIZACAO, answer))).authorize(signed_nfe(), "homologacao")


# Events
def _sent_event(transport: FakeTransport) -> etree._Element:
    ((url, action, envelope, _),) = transport.calls
    assert url == SP_HOM["RecepcaoEvento"]
    assert action == "http://www.portalfiscal.inf.br/nfe/wsdl/NFeRecepcaoEvento4/nfeRecepcaoEvento"
    msg = body_of(envelope)
    assert msg.tag == "{http://www.portalfiscal.inf.br/nfe/wsdl/NFeRecepcaoEvento4}nfeDadosMsg"
    (env,) = msg
    assert env.tag == f"{{{NFE}}}envEvento" and env.get("versao") == "1.00"
    assert re.fullmatch(r"[0-9]{1,15}", env.findtext("n:idLote", namespaces=N) or "")
    return env


def test_a_cancellation_sends_a_signed_110111_with_the_nfe_protocol_and_reads_the_inner_135() -> None:
    transport = FakeTransport(on(RECEPCAO_EVENTO, fixture("retEnvEvento_110111_135_cancelamento.xml")))
    answer = adapter(transport).register_event(CHAVE, "110111", 1, "Pedido cancelado pelo cliente", "homologacao",
                                               protocol="135260000123456")
    assert (answer.cstat, answer.reason, answer.protocol) == ("135", "Evento registrado e vinculado a NF-e",
                                                              "135260000223344")
    assert answer.received_at == datetime.fromisoformat("2026-11-22T11:02:03-03:00")
    env = _sent_event(transport)
    assert_valid(env, "nfe_evento_cancel/schemas/v1_0/envEventoCancNFe_v1.00.xsd")
    (evento,) = env.findall("n:evento", N)
    inf = evento.find("n:infEvento", N)
    assert inf.get("Id") == f"ID110111{CHAVE}01"
    assert evento.find("ds:Signature/ds:SignedInfo/ds:Reference", N).get("URI") == f"#ID110111{CHAVE}01"
    assert [inf.findtext(f"n:{t}", namespaces=N) for t in ("cOrgao", "tpAmb", "CNPJ", "chNFe", "tpEvento")] == [
        "35", "2", ISSUER_CNPJ, CHAVE, "110111"]
    assert inf.findtext("n:dhEvento", namespaces=N) == "2026-11-22T11:00:00-03:00"
    assert inf.findtext("n:detEvento/n:nProt", namespaces=N) == "135260000123456"
    assert inf.findtext("n:detEvento/n:xJust", namespaces=N) == "Pedido cancelado pelo cliente"
    assert_signature_verifies(evento)


def test_a_cancellation_without_the_nfe_protocol_is_refused_before_any_call() -> None:
    with pytest.raises(InvalidRequestError, match="protocol"):
        adapter(FakeTransport()).register_event(CHAVE, "110111", 1, "Pedido cancelado pelo cliente", "homologacao")


def test_a_carta_de_correcao_sends_xcorrecao_and_the_fixed_xconduso_with_a_two_digit_sequence_in_the_id() -> None:
    transport = FakeTransport(on(RECEPCAO_EVENTO, fixture("retEnvEvento_110110_135_cce.xml")))
    text = "Volumes: 4 caixas | Placa do veiculo ABC1D23"
    answer = adapter(transport).register_event(CHAVE, "110110", 2, text, "homologacao")
    assert (answer.cstat, answer.protocol) == ("135", "135260000223345")
    env = _sent_event(transport)
    assert_valid(env, "nfe_evento_cce/schemas/v1_0/envCCe_v1.00.xsd")
    evento = env.find("n:evento", N)
    inf = evento.find("n:infEvento", N)
    assert inf.get("Id") == f"ID110110{CHAVE}02" and inf.findtext("n:nSeqEvento", namespaces=N) == "2"
    assert inf.findtext("n:detEvento/n:descEvento", namespaces=N) == "Carta de Correção"
    assert inf.findtext("n:detEvento/n:xCorrecao", namespaces=N) == text
    assert inf.findtext("n:detEvento/n:xCondUso", namespaces=N) == XCONDUSO_CCE
    assert_signature_verifies(evento)


@pytest.mark.parametrize(("name", "cstat", "reason"), [
    ("retEnvEvento_573_duplicidade_evento.xml", "573", "Rejeição: Duplicidade de Evento"),
    ("retEnvEvento_501_prazo_cancelamento.xml", "501", "Rejeição: Prazo de Cancelamento Superior ao Previsto"),
])
def test_an_event_rejection_is_the_inner_cstat_not_the_batchs_128(name: str, cstat: str, reason: str) -> None:
    answer = adapter(FakeTransport(on(RECEPCAO_EVENTO, fixture(name)))).register_event(
        CHAVE, "110111", 1, "Pedido cancelado pelo cliente", "homologacao", protocol="135260000123456")
    assert answer.cstat == cstat and answer.reason.startswith(reason) and answer.protocol is None


def test_an_unsupported_event_type_is_refused() -> None:
    with pytest.raises(InvalidRequestError):
        adapter(FakeTransport()).register_event(CHAVE, "210200", 1, "Confirmacao da operacao", "homologacao")


# Inutilização
def test_voiding_numbers_sends_a_signed_inutnfe_with_the_manuals_id_and_reads_102() -> None:
    transport = FakeTransport(on(INUTILIZACAO, fixture("retInutNFe_102_homologada.xml")))
    answer = adapter(transport).void_numbers(ISSUER_CNPJ, 1, 43, 45, "Numeros pulados por falha do sistema",
                                             "homologacao")
    assert (answer.cstat, answer.reason, answer.protocol) == ("102", "Inutilização de número homologado",
                                                              "135260000334455")
    ((url, action, envelope, _),) = transport.calls
    assert url == SP_HOM["NfeInutilizacao"]
    assert action == "http://www.portalfiscal.inf.br/nfe/wsdl/NFeInutilizacao4/nfeInutilizacaoNF"
    msg = body_of(envelope)
    assert msg.tag == "{http://www.portalfiscal.inf.br/nfe/wsdl/NFeInutilizacao4}nfeDadosMsg"
    (inut,) = msg
    assert inut.tag == f"{{{NFE}}}inutNFe" and inut.get("versao") == "4.00"
    assert inut.find("n:infInut", N).get("Id") == f"ID3526{ISSUER_CNPJ}55001000000043000000045"
    assert_valid(inut, "nfe/schemas/v4_0/inutNFe_v4.00.xsd")
    assert_signature_verifies(inut)


def test_voiding_a_range_with_a_used_number_is_sefazs_241() -> None:
    answer = adapter(FakeTransport(on(INUTILIZACAO, fixture("retInutNFe_241_numero_usado.xml")))).void_numbers(
        ISSUER_CNPJ, 1, 43, 45, "Numeros pulados por falha do sistema", "homologacao")
    assert (answer.cstat, answer.protocol) == ("241", None)


# Certificates
def test_the_self_signed_test_certificate_is_refused_before_any_call() -> None:
    sefaz = adapter(FakeTransport(), key=signing_key())  # generate_test_certificate's
    with pytest.raises(CertificateNotAcceptedError, match="ICP-Brasil"):
        sefaz.authorize(signed_nfe(), "homologacao")
    with pytest.raises(CertificateNotAcceptedError):
        sefaz.register_event(CHAVE, "110111", 1, "Pedido cancelado pelo cliente", "homologacao", protocol="1" * 15)
    with pytest.raises(CertificateNotAcceptedError):
        sefaz.void_numbers(ISSUER_CNPJ, 1, 1, 1, "Numeros pulados por falha", "homologacao")


def test_any_self_signed_certificate_is_refused_even_without_the_test_ou() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = _name(f"LOJA EXEMPLO LTDA:{ISSUER_CNPJ}", "RFB e-CNPJ A1")
    own = SigningKey(private_key=key, certificate=_issue(name, key, name, key, ca=False), fingerprint="self")
    with pytest.raises(CertificateNotAcceptedError):
        adapter(FakeTransport(), key=own).authorize(signed_nfe(), "homologacao")


# Endpoints as data
def test_every_uf_has_an_authorizer_and_sp_mg_and_svrs_have_every_service_in_both_environments() -> None:
    assert set(AUTHORIZER_OF_UF) == set(UF_CODES)
    for authorizer in ("SP", "MG", "SVRS"):
        for environment in ("homologacao", "producao"):
            urls = ENDPOINTS[authorizer][environment]
            assert set(urls) == {"NFeAutorizacao", "NFeRetAutorizacao", "RecepcaoEvento", "NfeInutilizacao",
                                 "NfeConsultaProtocolo"}
            assert all(u.startswith("https://") for u in urls.values())
    assert all(AUTHORIZER_OF_UF[uf] == "SVRS" for uf in ("RJ", "SC", "DF", "ES"))


@pytest.mark.parametrize(("uf", "environment", "url"), [
    ("RJ", "homologacao", "https://nfe-homologacao.svrs.rs.gov.br/ws/NfeAutorizacao/NFeAutorizacao4.asmx"),
    ("MG", "producao", "https://nfe.fazenda.mg.gov.br/nfe2/services/NFeAutorizacao4"),
    ("SP", "producao", "https://nfe.fazenda.sp.gov.br/ws/nfeautorizacao4.asmx"),
])
def test_the_authorization_goes_to_the_ufs_authorizer_and_environment(uf: str, environment: str, url: str) -> None:
    transport = FakeTransport({(url, AUTORIZACAO.soap_action): [fixture("retEnviNFe_100_autorizado.xml")]})
    assert adapter(transport, uf=uf).authorize(signed_nfe(), environment).cstat == "100"


def test_a_uf_whose_authorizer_has_no_endpoints_is_a_clear_error() -> None:
    with pytest.raises(UnsupportedAuthorizerError, match="BA"):
        adapter(FakeTransport(), uf="BA").authorize(signed_nfe(), "homologacao")


def test_the_fake_transport_fails_loudly_on_a_call_it_does_not_know() -> None:
    transport = FakeTransport(on(AUTORIZACAO, fixture("retEnviNFe_100_autorizado.xml")))  # SP's table
    with pytest.raises(AssertionError, match="unexpected SEFAZ call"):
        adapter(transport, uf="MG").authorize(signed_nfe(), "homologacao")


# The recorded answers are what SEFAZ's return schemas describe
@pytest.mark.parametrize(("name", "root", "xsd"), [
    *[(f.name, "retEnviNFe", "nfe/schemas/v4_0/retEnviNFe_v4.00.xsd") for f in FIXTURES.glob("retEnviNFe_*.xml")],
    *[(f.name, "retConsReciNFe", "nfe/schemas/v4_0/retConsReciNFe_v4.00.xsd")
      for f in FIXTURES.glob("retConsReciNFe_*.xml")],
    *[(f.name, "retInutNFe", "nfe/schemas/v4_0/retInutNFe_v4.00.xsd") for f in FIXTURES.glob("retInutNFe_*.xml")],
    ("retEnvEvento_110111_135_cancelamento.xml", "retEnvEvento",
     "nfe_evento_cancel/schemas/v1_0/retEnvEventoCancNFe_v1.00.xsd"),
    ("retEnvEvento_573_duplicidade_evento.xml", "retEnvEvento",
     "nfe_evento_cancel/schemas/v1_0/retEnvEventoCancNFe_v1.00.xsd"),
    ("retEnvEvento_501_prazo_cancelamento.xml", "retEnvEvento",
     "nfe_evento_cancel/schemas/v1_0/retEnvEventoCancNFe_v1.00.xsd"),
    ("retEnvEvento_110110_135_cce.xml", "retEnvEvento", "nfe_evento_cce/schemas/v1_0/retEnvCCe_v1.00.xsd"),
    ("retConsSitNFe_100_autorizado.xml", "retConsSitNFe", "nfe/schemas/v4_0/retConsSitNFe_v4.00.xsd"),
    ("retConsSitNFe_217_nao_consta.xml", "retConsSitNFe", "nfe/schemas/v4_0/retConsSitNFe_v4.00.xsd"),
    *[(f.name, "retDistDFeInt", "nfe_dist_dfe/schemas/v1_0/retDistDFeInt_v1.01.xsd")
      for f in FIXTURES.glob("retDistDFeInt_*.xml")],
    ("retEnvEvento_210200_135_confirmacao.xml", "retEnvEvento",
     "nfe_evento_mde/schemas/v1_0/retEnvConfRecebto_v1.00.xsd"),
])
def test_each_recorded_answer_validates_against_sefazs_return_schema(name: str, root: str, xsd: str) -> None:
    (doc,) = etree.fromstring(fixture(name)).iter(f"{{{NFE}}}{root}")
    assert_valid(doc, xsd)


@pytest.mark.skipif(shutil.which("xmlsec1") is None, reason="xmlsec1 not installed (apt-get install xmlsec1)")
def test_xmlsec1_accepts_the_event_signature_and_its_chain(tmp_path: Path) -> None:
    transport = FakeTransport(on(RECEPCAO_EVENTO, fixture("retEnvEvento_110111_135_cancelamento.xml")))
    adapter(transport).register_event(CHAVE, "110111", 1, "Pedido cancelado pelo cliente", "homologacao",
                                      protocol="135260000123456")
    evento = body_of(transport.calls[0][2]).find("n:envEvento/n:evento", N)
    doc, cert = tmp_path / "evento.xml", tmp_path / "cert.pem"
    doc.write_bytes(etree.tostring(standalone(evento)))
    cert.write_bytes(_ca()[1].public_bytes(serialization.Encoding.PEM))  # the chain: the leaf is in KeyInfo
    result = subprocess.run(["xmlsec1", "--verify", "--id-attr:Id", "infEvento", "--trusted-pem", str(cert),
                             "--verification-gmt-time", NOW.strftime("%Y-%m-%d %H:%M:%S"), str(doc)],
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr


# The real transport, against a loopback HTTPS server that demands the client certificate
@pytest.fixture
def mtls_server(tmp_path: Path) -> Iterator[tuple[str, Path, list[dict], SigningKey]]:
    """A TLS server and the client's A1: OpenSSL judges both by the system clock, so this chain starts
    from the wall clock, not from NOW (what the frozen adapter judges)."""
    wall = datetime.now(UTC)
    ca_key, ca = _ca(wall)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _issue(_name("127.0.0.1", "SEFAZ de teste"), key, ca.subject, ca_key, ca=False, at=wall,
                  san=x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    ca_pem, cert_pem, key_pem = tmp_path / "ca.pem", tmp_path / "server.pem", tmp_path / "server.key"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    seen: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            peer = self.connection.getpeercert()
            seen.append({"path": self.path, "content_type": self.headers["Content-Type"], "body": body, "peer": peer})
            status = 503 if self.path.endswith("down") else 200
            answer = fixture("retEnviNFe_100_autorizado.xml")
            self.send_response(status)
            self.send_header("Content-Type", "application/soap+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca_pem))
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(str(cert_pem), str(key_pem))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", ca_pem, seen, icp_key(wall)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_requests_transport_posts_soap_1_2_with_the_tenants_a1_as_client_certificate(mtls_server) -> None:
    base, ca_pem, seen, client = mtls_server
    transport = RequestsSoapTransport(verify=str(ca_pem), timeout=(5, 5))
    answer = transport.post(base + "/ws/nfeautorizacao4.asmx", AUTORIZACAO.soap_action, b"<x/>", client)
    assert answer == fixture("retEnviNFe_100_autorizado.xml")
    (request,) = seen
    assert request["content_type"] == (
        'application/soap+xml; charset=utf-8; action="http://www.portalfiscal.inf.br/nfe/wsdl/NFeAutorizacao4/'
        'nfeAutorizacaoLote"')
    assert request["body"] == b"<x/>"
    subject = dict(pair for rdn in request["peer"]["subject"] for pair in rdn)
    assert subject["commonName"] == f"LOJA EXEMPLO LTDA:{ISSUER_CNPJ}"


def test_the_requests_transport_maps_5xx_refused_connections_and_untrusted_servers_to_unavailable(mtls_server) -> None:
    base, ca_pem, _, client = mtls_server
    transport = RequestsSoapTransport(verify=str(ca_pem), timeout=(2, 2))
    with pytest.raises(AuthorityUnavailableError, match="503"):
        transport.post(base + "/down", AUTORIZACAO.soap_action, b"<x/>", client)
    with pytest.raises(AuthorityUnavailableError):
        transport.post("https://127.0.0.1:9/ws", AUTORIZACAO.soap_action, b"<x/>", client)
    with pytest.raises(AuthorityUnavailableError):  # the system roots do not trust the fake chain
        RequestsSoapTransport(timeout=(2, 2)).post(base + "/ws", AUTORIZACAO.soap_action, b"<x/>", client)


def test_the_local_authority_accepts_the_protocol_argument_compatibly() -> None:
    import inspect

    params = inspect.signature(LocalAuthority.register_event).parameters
    assert params["protocol"].default is None
    assert list(inspect.signature(SefazAuthority.register_event).parameters) == list(params)


def test_free_text_goes_on_one_line_as_the_schemas_require() -> None:
    transport = FakeTransport(on(RECEPCAO_EVENTO, fixture("retEnvEvento_110110_135_cce.xml")))
    adapter(transport).register_event(CHAVE, "110110", 2, "  Volumes:\n\t4 caixas  de papelao ", "homologacao")
    evento = _sent_event(transport).find("n:evento", N)
    assert evento.findtext("n:infEvento/n:detEvento/n:xCorrecao", namespaces=N) == "Volumes: 4 caixas de papelao"

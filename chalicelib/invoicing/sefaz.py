"""The SEFAZ adapter of the fiscal authority port: NF-e web services layout 4.00 over SOAP 1.2 and mutual TLS.

Services (Manual de Orientação do Contribuinte, WSDLs shipped in nfelib's `nfe/wsdl/v4_0/`):
- NFeAutorizacao4 `nfeAutorizacaoLote` with `enviNFe` (versao 4.00, one NF-e, indSinc=1). A synchronous
  answer is `retEnviNFe` cStat 104 with the `protNFe`; an asynchronous one is cStat 103 with `infRec/nRec`,
  polled a bounded number of times on NFeRetAutorizacao4 `nfeRetAutorizacaoLote` with `consReciNFe`.
- NFeRecepcaoEvento4 `nfeRecepcaoEvento` with `envEvento` (versao 1.00) holding one signed `evento`:
  110111 cancelamento (nProt + xJust), 110110 carta de correção (xCorrecao + xCondUso). The reply nests a
  batch cStat (128) and the event's own (135/136/155 or a rejection): the event's is the answer.
- NfeInutilizacao4 `nfeInutilizacaoNF` with a signed `inutNFe` (versao 4.00).
- NFeConsultaProtocolo4 `nfeConsultaNF` with `consSitNFe` (versao 4.00): after a 204 (duplicate: the NF-e
  reached SEFAZ before, its answer was lost) the `protNFe` SEFAZ keeps, so the emission completes.

The body is `nfeDadosMsg` in the service's WSDL namespace, with no SOAP header (layout 4.00 dropped
`nfeCabecMsg`). The request documents are built with nfelib's generated bindings, like the NF-e (nfe_xml.py):
the `nfe` package's for enviNFe, consReciNFe, consSitNFe and inutNFe, the `nfe_evento_cancel` and
`nfe_evento_cce` packages' for each event's `evento` and its `envEvento`. Signed documents are spliced into
their envelope as bytes, never re-serialized (`_around`).
108/109 (serviço paralisado) and every transport failure raise `AuthorityUnavailableError`: the emission
stays pending and is retried. The adapter refuses self-signed test certificates before any call: SEFAZ
accepts only ICP-Brasil chains, for the TLS handshake and for the signatures alike.
"""

from __future__ import annotations

import copy
import os
import re
import secrets
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from lxml import etree
from nfelib.nfe.bindings.v4_0 import (
    ConsReciNfe,
    ConsSitNfe,
    EnviNfe,
    InfInutXServ,
    InutNfe,
    Tamb,
    TcodUfIbge,
    TconsSitNfeXServ,
    TenviNfeIndSinc,
    Tmod,
    Tnfe,
    TverConsSitNfe,
)
from nfelib.nfe_evento_cancel.bindings import v1_0 as CANCEL
from nfelib.nfe_evento_cce.bindings import v1_0 as CCE
from nfelib.nfe_evento_mde.bindings import v1_0 as MDE
from xsdata.formats.dataclass.context import XmlContext
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig

from chalicelib.brazil.places import UF_CODES
from chalicelib.invoicing import codes
from chalicelib.invoicing.authority import TP_AMB, AuthorityAnswer, AuthorityUnavailableError
from chalicelib.invoicing.chave import parse_chave
from chalicelib.invoicing.dfe import DistributedDocument, Distribution
from chalicelib.invoicing.signing import (
    NFE_NAMESPACE,
    XML_DECLARATION,
    CertificateError,
    CertificateExpiredError,
    SigningKey,
    sign_enveloped,
)
from chalicelib.platform.clock import SAO_PAULO, Clock
from chalicelib.platform.errors import FieldError, InvalidRequestError

SOAP12_NAMESPACE = "http://www.w3.org/2003/05/soap-envelope"
WSDL_NAMESPACE = "http://www.portalfiscal.inf.br/nfe/wsdl/"
NS = f"{{{NFE_NAMESPACE}}}"

XCONDUSO_CCE = (
    "A Carta de Correção é disciplinada pelo § 1º-A do art. 7º do Convênio S/N, de 15 de dezembro de 1970 e "
    "pode ser utilizada para regularização de erro ocorrido na emissão de documento fiscal, desde que o erro não "
    "esteja relacionado com: I - as variáveis que determinam o valor do imposto tais como: base de cálculo, "
    "alíquota, diferença de preço, quantidade, valor da operação ou da prestação; II - a correção de dados "
    "cadastrais que implique mudança do remetente ou do destinatário; III - a data de emissão ou de saída."
)


@dataclass(frozen=True)
class Service:
    """One SEFAZ web service: its key in ENDPOINTS, WSDL name and SOAP operation."""

    key: str
    wsdl: str
    operation: str

    @property
    def namespace(self) -> str:
        return WSDL_NAMESPACE + self.wsdl

    @property
    def soap_action(self) -> str:
        return f"{self.namespace}/{self.operation}"


AUTORIZACAO = Service("NFeAutorizacao", "NFeAutorizacao4", "nfeAutorizacaoLote")
RET_AUTORIZACAO = Service("NFeRetAutorizacao", "NFeRetAutorizacao4", "nfeRetAutorizacaoLote")
RECEPCAO_EVENTO = Service("RecepcaoEvento", "NFeRecepcaoEvento4", "nfeRecepcaoEvento")
INUTILIZACAO = Service("NfeInutilizacao", "NFeInutilizacao4", "nfeInutilizacaoNF")
CONSULTA = Service("NfeConsultaProtocolo", "NFeConsultaProtocolo4", "nfeConsultaNF")

# Which authorizer serves each UF's NF-e (modelo 55): the portal's "Autorizadores" table (2025).
AUTHORIZER_OF_UF: Mapping[str, str] = {
    **{uf: uf for uf in ("AM", "BA", "GO", "MG", "MS", "MT", "PE", "PR", "RS", "SP")},
    **{uf: "SVRS" for uf in ("AC", "AL", "AP", "CE", "DF", "ES", "PA", "PB", "PI", "RJ", "RN", "RO", "RR", "SC",
                             "SE", "TO")},
    "MA": "SVAN",
}


def _urls(autorizacao: str, ret_autorizacao: str, evento: str, inutilizacao: str, consulta: str) -> dict[str, str]:
    return {AUTORIZACAO.key: autorizacao, RET_AUTORIZACAO.key: ret_autorizacao, RECEPCAO_EVENTO.key: evento,
            INUTILIZACAO.key: inutilizacao, CONSULTA.key: consulta}


# authorizer -> environment -> service -> URL (the portal's web service list, as nfelib's and sped-nfe's tables).
ENDPOINTS: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "SP": {
        "homologacao": _urls("https://homologacao.nfe.fazenda.sp.gov.br/ws/nfeautorizacao4.asmx",
                             "https://homologacao.nfe.fazenda.sp.gov.br/ws/nferetautorizacao4.asmx",
                             "https://homologacao.nfe.fazenda.sp.gov.br/ws/nferecepcaoevento4.asmx",
                             "https://homologacao.nfe.fazenda.sp.gov.br/ws/nfeinutilizacao4.asmx",
                             "https://homologacao.nfe.fazenda.sp.gov.br/ws/nfeconsultaprotocolo4.asmx"),
        "producao": _urls("https://nfe.fazenda.sp.gov.br/ws/nfeautorizacao4.asmx",
                          "https://nfe.fazenda.sp.gov.br/ws/nferetautorizacao4.asmx",
                          "https://nfe.fazenda.sp.gov.br/ws/nferecepcaoevento4.asmx",
                          "https://nfe.fazenda.sp.gov.br/ws/nfeinutilizacao4.asmx",
                          "https://nfe.fazenda.sp.gov.br/ws/nfeconsultaprotocolo4.asmx"),
    },
    "MG": {
        "homologacao": _urls("https://hnfe.fazenda.mg.gov.br/nfe2/services/NFeAutorizacao4",
                             "https://hnfe.fazenda.mg.gov.br/nfe2/services/NFeRetAutorizacao4",
                             "https://hnfe.fazenda.mg.gov.br/nfe2/services/NFeRecepcaoEvento4",
                             "https://hnfe.fazenda.mg.gov.br/nfe2/services/NFeInutilizacao4",
                             "https://hnfe.fazenda.mg.gov.br/nfe2/services/NFeConsultaProtocolo4"),
        "producao": _urls("https://nfe.fazenda.mg.gov.br/nfe2/services/NFeAutorizacao4",
                          "https://nfe.fazenda.mg.gov.br/nfe2/services/NFeRetAutorizacao4",
                          "https://nfe.fazenda.mg.gov.br/nfe2/services/NFeRecepcaoEvento4",
                          "https://nfe.fazenda.mg.gov.br/nfe2/services/NFeInutilizacao4",
                          "https://nfe.fazenda.mg.gov.br/nfe2/services/NFeConsultaProtocolo4"),
    },
    "SVRS": {
        "homologacao": _urls("https://nfe-homologacao.svrs.rs.gov.br/ws/NfeAutorizacao/NFeAutorizacao4.asmx",
                             "https://nfe-homologacao.svrs.rs.gov.br/ws/NfeRetAutorizacao/NFeRetAutorizacao4.asmx",
                             "https://nfe-homologacao.svrs.rs.gov.br/ws/recepcaoevento/recepcaoevento4.asmx",
                             "https://nfe-homologacao.svrs.rs.gov.br/ws/nfeinutilizacao/nfeinutilizacao4.asmx",
                             "https://nfe-homologacao.svrs.rs.gov.br/ws/NfeConsulta/NfeConsulta4.asmx"),
        "producao": _urls("https://nfe.svrs.rs.gov.br/ws/NfeAutorizacao/NFeAutorizacao4.asmx",
                          "https://nfe.svrs.rs.gov.br/ws/NfeRetAutorizacao/NFeRetAutorizacao4.asmx",
                          "https://nfe.svrs.rs.gov.br/ws/recepcaoevento/recepcaoevento4.asmx",
                          "https://nfe.svrs.rs.gov.br/ws/nfeinutilizacao/nfeinutilizacao4.asmx",
                          "https://nfe.svrs.rs.gov.br/ws/NfeConsulta/NfeConsulta4.asmx"),
    },
    "SVAN": {
        "homologacao": _urls("https://hom.sefazvirtual.fazenda.gov.br/NFeAutorizacao4/NFeAutorizacao4.asmx",
                             "https://hom.sefazvirtual.fazenda.gov.br/NFeRetAutorizacao4/NFeRetAutorizacao4.asmx",
                             "https://hom.sefazvirtual.fazenda.gov.br/NFeRecepcaoEvento4/NFeRecepcaoEvento4.asmx",
                             "https://hom.sefazvirtual.fazenda.gov.br/NFeInutilizacao4/NFeInutilizacao4.asmx",
                             "https://hom.sefazvirtual.fazenda.gov.br/NFeConsultaProtocolo4/NFeConsultaProtocolo4.asmx"),
        "producao": _urls("https://www.sefazvirtual.fazenda.gov.br/NFeAutorizacao4/NFeAutorizacao4.asmx",
                          "https://www.sefazvirtual.fazenda.gov.br/NFeRetAutorizacao4/NFeRetAutorizacao4.asmx",
                          "https://www.sefazvirtual.fazenda.gov.br/NFeRecepcaoEvento4/NFeRecepcaoEvento4.asmx",
                          "https://www.sefazvirtual.fazenda.gov.br/NFeInutilizacao4/NFeInutilizacao4.asmx",
                          "https://www.sefazvirtual.fazenda.gov.br/NFeConsultaProtocolo4/NFeConsultaProtocolo4.asmx"),
    },
    "RS": {
        "homologacao": _urls("https://nfe-homologacao.sefazrs.rs.gov.br/ws/NfeAutorizacao/NFeAutorizacao4.asmx",
                             "https://nfe-homologacao.sefazrs.rs.gov.br/ws/NfeRetAutorizacao/NFeRetAutorizacao4.asmx",
                             "https://nfe-homologacao.sefazrs.rs.gov.br/ws/recepcaoevento/recepcaoevento4.asmx",
                             "https://nfe-homologacao.sefazrs.rs.gov.br/ws/nfeinutilizacao/nfeinutilizacao4.asmx",
                             "https://nfe-homologacao.sefazrs.rs.gov.br/ws/NfeConsulta/NfeConsulta4.asmx"),
        "producao": _urls("https://nfe.sefazrs.rs.gov.br/ws/NfeAutorizacao/NFeAutorizacao4.asmx",
                          "https://nfe.sefazrs.rs.gov.br/ws/NfeRetAutorizacao/NFeRetAutorizacao4.asmx",
                          "https://nfe.sefazrs.rs.gov.br/ws/recepcaoevento/recepcaoevento4.asmx",
                          "https://nfe.sefazrs.rs.gov.br/ws/nfeinutilizacao/nfeinutilizacao4.asmx",
                          "https://nfe.sefazrs.rs.gov.br/ws/NfeConsulta/NfeConsulta4.asmx"),
    },
    "PR": {
        "homologacao": _urls("https://homologacao.nfe.sefa.pr.gov.br/nfe/NFeAutorizacao4",
                             "https://homologacao.nfe.sefa.pr.gov.br/nfe/NFeRetAutorizacao4",
                             "https://homologacao.nfe.sefa.pr.gov.br/nfe/NFeRecepcaoEvento4",
                             "https://homologacao.nfe.sefa.pr.gov.br/nfe/NFeInutilizacao4",
                             "https://homologacao.nfe.sefa.pr.gov.br/nfe/NFeConsultaProtocolo4"),
        "producao": _urls("https://nfe.sefa.pr.gov.br/nfe/NFeAutorizacao4",
                          "https://nfe.sefa.pr.gov.br/nfe/NFeRetAutorizacao4",
                          "https://nfe.sefa.pr.gov.br/nfe/NFeRecepcaoEvento4",
                          "https://nfe.sefa.pr.gov.br/nfe/NFeInutilizacao4",
                          "https://nfe.sefa.pr.gov.br/nfe/NFeConsultaProtocolo4"),
    },
}


# The Ambiente Nacional's distribution service (documents addressed to a CNPJ root), whatever the UF.
DISTRIBUICAO = Service("NFeDistribuicaoDFe", "NFeDistribuicaoDFe", "nfeDistDFeInteresse")
AN_DISTRIBUICAO: Mapping[str, str] = {
    "homologacao": "https://hom1.nfe.fazenda.gov.br/NFeDistribuicaoDFe/NFeDistribuicaoDFe.asmx",
    "producao": "https://www1.nfe.fazenda.gov.br/NFeDistribuicaoDFe/NFeDistribuicaoDFe.asmx",
}


def _dist_dfe_int(tp_amb: str, uf_code: str, cnpj: str, last_nsu: str | None, one: str | None = None) -> bytes:
    """distDFeInt v1.01 in nfelib's nfe_dist_dfe bindings: `distNSU/ultNSU` (continue from the last NSU) or
    `consNSU/NSU` (one document, to fill a gap)."""
    from nfelib.nfe_dist_dfe.bindings import v1_0 as DIST

    choice: dict[str, object] = {"consNSU": DIST.DistDfeInt.ConsNsu(NSU=f"{int(one):015d}")} if one is not None \
        else {"distNSU": DIST.DistDfeInt.DistNsu(ultNSU=f"{int(last_nsu or 0):015d}")}
    return _render(DIST.DistDfeInt(tpAmb=DIST.Tamb(tp_amb), cUFAutor=DIST.TcodUfIbge(uf_code), CNPJ=cnpj,
                                   versao=DIST.TverDistDfe.VALUE_1_01, **choice))


def distribution_envelope(body: bytes) -> bytes:
    """NFeDistribuicaoDFe's SOAP 1.2 body: the operation element around `nfeDadosMsg` (unlike the NF-e 4.00
    services, whose message is the body's child)."""
    body = _DECLARATION.sub(b"", body, count=1).strip()
    ns = DISTRIBUICAO.namespace.encode()
    return (XML_DECLARATION + b'<soap12:Envelope xmlns:soap12="' + SOAP12_NAMESPACE.encode() + b'" '
            b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
            b'<soap12:Body><nfeDistDFeInteresse xmlns="' + ns + b'"><nfeDadosMsg>' + body +
            b"</nfeDadosMsg></nfeDistDFeInteresse></soap12:Body></soap12:Envelope>")


def read_distribution(answer: etree._Element, received_at: datetime) -> Distribution:
    """`retDistDFeInt`: cStat, ultNSU, maxNSU and each docZip (base64 of gzip) opened."""
    import base64
    import gzip

    documents = [DistributedDocument(nsu=str(doc.get("NSU")), schema=str(doc.get("schema")),
                                     xml=gzip.decompress(base64.b64decode("".join((doc.text or "").split()))))
                 for doc in answer.findall(f"{NS}loteDistDFeInt/{NS}docZip")]
    return Distribution(_text(answer, "n:cStat"), _text(answer, "n:xMotivo"), _text(answer, "n:ultNSU"),
                        _text(answer, "n:maxNSU"), received_at, documents)


# The Ambiente Nacional's event service, where a recipient's MD-e events go (cOrgao 91), whatever the UF.
AN_RECEPCAO_EVENTO: Mapping[str, str] = {
    "homologacao": "https://hom1.nfe.fazenda.gov.br/NFeRecepcaoEvento4/NFeRecepcaoEvento4.asmx",
    "producao": "https://www.nfe.fazenda.gov.br/NFeRecepcaoEvento4/NFeRecepcaoEvento4.asmx",
}
MDE_DESCRIPTIONS = {codes.MDE_CONFIRMATION: MDE.DetEventoDescEvento1.CONFIRMACAO_DA_OPERACAO,
                    codes.MDE_AWARENESS: MDE.DetEventoDescEvento1.CIENCIA_DA_OPERACAO,
                    codes.MDE_UNKNOWN: MDE.DetEventoDescEvento1.DESCONHECIMENTO_DA_OPERACAO,
                    codes.MDE_NOT_PERFORMED: MDE.DetEventoDescEvento1.OPERACAO_NAO_REALIZADA}


def _mde_evento(event_type: str, access_key: str, cnpj: str, tp_amb: str, issued: str,
                justification: str | None) -> bytes:
    """The unsigned MD-e `evento` 1.00 in nfelib's nfe_evento_mde bindings: to cOrgao 91, sequence 1 (each
    manifestation type once per NF-e), xJust only for 210240."""
    detail = MDE.Tevento.InfEvento.DetEvento(
        descEvento=MDE_DESCRIPTIONS[event_type], versao=MDE.DetEventoVersao.VALUE_1_00,
        xJust=_one_line(justification) if event_type == codes.MDE_NOT_PERFORMED and justification else None)
    inf = MDE.Tevento.InfEvento(
        cOrgao=MDE.TcorgaoIbge.VALUE_91, tpAmb=MDE.Tamb(tp_amb), CNPJ=cnpj, chNFe=access_key, dhEvento=issued,
        tpEvento=MDE.InfEventoTpEvento(event_type), nSeqEvento="1", verEvento="1.00", detEvento=detail,
        Id=f"ID{event_type}{access_key}01")
    return _render(MDE.Evento(infEvento=inf, versao="1.00"))


class CertificateNotAcceptedError(CertificateError):
    """SEFAZ accepts only ICP-Brasil certificates: a self-signed or test certificate cannot talk to it."""

    code = "certificate_not_icp_brasil"


class UnsupportedAuthorizerError(InvalidRequestError):
    """No SEFAZ endpoint is configured for the tenant's UF."""

    status, code, title = 422, "sefaz_not_configured", "SEFAZ not configured for this state"


class SoapTransport(Protocol):
    """Seam: POST one SOAP 1.2 envelope with mutual TLS (the tenant's A1) and return the answer's bytes.

    Raises AuthorityUnavailableError on connection errors, timeouts and HTTP 5xx."""

    def post(self, url: str, soap_action: str, envelope: bytes, cert: SigningKey) -> bytes: ...


TEST_CERTIFICATE_OU = "Certificado de teste"


def check_certificate(key: SigningKey, now: datetime) -> None:
    """Refuse what SEFAZ would refuse at the TLS handshake: self-signed, test or expired certificates."""
    cert = key.certificate
    units = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    if cert.issuer == cert.subject or any(TEST_CERTIFICATE_OU.lower() in str(u).lower() for u in units):
        raise CertificateNotAcceptedError(
            "SEFAZ accepts only ICP-Brasil A1 certificates; this tenant has a self-signed test certificate. "
            "Upload the company's A1 (.pfx) or use the local authority.",
            [FieldError("certificate", f"issuer {cert.issuer.rfc4514_string()} is not an ICP-Brasil authority")])
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise CertificateExpiredError(f"the certificate is valid from {cert.not_valid_before_utc.date()} "
                                      f"to {cert.not_valid_after_utc.date()}")


_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>\s*")


def soap_envelope(service: Service, body: bytes) -> bytes:
    """SOAP 1.2 envelope: `nfeDadosMsg` in the service's namespace around `body` (kept byte for byte)."""
    body = _DECLARATION.sub(b"", body, count=1).strip()
    return (XML_DECLARATION + b'<soap12:Envelope xmlns:soap12="' + SOAP12_NAMESPACE.encode() + b'" '
            b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
            b'<soap12:Body><nfeDadosMsg xmlns="' + service.namespace.encode() + b'">' + body +
            b"</nfeDadosMsg></soap12:Body></soap12:Envelope>")


def _answer_root(raw: bytes, expected: str) -> etree._Element:
    """The `expected` element (retEnviNFe, retConsReciNFe, retEnvEvento, retInutNFe) inside the SOAP answer."""
    try:
        root = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise AuthorityUnavailableError(f"SEFAZ answered with malformed XML ({exc}).") from exc
    if root.tag == f"{NS}{expected}":
        return root
    found = root.find(f".//{NS}{expected}")
    if found is None:
        fault = root.find(f".//{{{SOAP12_NAMESPACE}}}Fault")
        detail = " ".join("".join(fault.itertext()).split())[:300] if fault is not None else "no " + expected
        raise AuthorityUnavailableError(f"SEFAZ answered without {expected}: {detail}")
    return found


def _chave_of(signed_nfe: bytes) -> str:
    inf = etree.fromstring(signed_nfe).find(f"{NS}infNFe")
    if inf is None:
        raise ValueError("not an NFe")
    return (inf.get("Id") or "")[3:]


def _one_line(text: str) -> str:
    """Free text as SEFAZ's schemas take it: no line breaks or tabs (588), no leading/trailing blanks."""
    return " ".join(text.split())


def _text(el: etree._Element, path: str) -> str:
    return (el.findtext(path, namespaces={"n": NFE_NAMESPACE}) or "").strip()


def _standalone(el: etree._Element) -> bytes:
    """An element of the answer on its own, in the NF-e namespace only (no SOAP declarations)."""
    alone = copy.deepcopy(el)
    etree.cleanup_namespaces(alone)
    return bytes(etree.tostring(alone, encoding="UTF-8"))


# --- request documents ----------------------------------------------------------------------------------------
# What nfe_xml does for the NF-e: the NF-e namespace as the default one (no ns0 prefixes) and no indentation
# (sign_enveloped signs the bytes as they are, and SEFAZ refuses formatting characters, 588); no XML declaration
# either, the SOAP envelope carries the only one. One XmlContext per process: building a binding's metadata is
# most of a render's cost.
_SERIALIZER = XmlSerializer(context=XmlContext(), config=SerializerConfig(indent="", xml_declaration=False))


def _render(document: object) -> bytes:
    return _SERIALIZER.render(document, ns_map={None: NFE_NAMESPACE}).encode("utf-8")


def _around(envelope: object, placeholder: str, signed: bytes) -> bytes:
    """`envelope` (enviNFe, envEvento) with the signed document's bytes in place of its empty `placeholder` child.

    A binding holds a child document only as objects, and a signed document parsed into nfelib's bindings and
    rendered again no longer verifies (signing.py): so the envelope is rendered from its binding with one empty
    child (`<NFe/>`, `<evento/>`), which puts it where the schema orders it, and that child is replaced by the
    signed bytes, kept byte for byte."""
    xml = _render(envelope)
    empty = f"<{placeholder}/>".encode()
    if xml.count(empty) != 1:
        raise ValueError(f"the envelope has no single empty {placeholder} to replace")
    return xml.replace(empty, _DECLARATION.sub(b"", signed, count=1).strip())


def _envi_nfe(id_lote: str, signed_nfe: bytes) -> bytes:
    """enviNFe 4.00 with one signed NF-e, synchronous (indSinc 1)."""
    envi = EnviNfe(idLote=id_lote, indSinc=TenviNfeIndSinc.VALUE_1, NFe=[Tnfe()], versao="4.00")
    return _around(envi, "NFe", signed_nfe)


def _cons_reci_nfe(tp_amb: str, nrec: str) -> bytes:
    return _render(ConsReciNfe(tpAmb=Tamb(tp_amb), nRec=nrec, versao="4.00"))


def _cons_sit_nfe(tp_amb: str, chave: str) -> bytes:
    return _render(ConsSitNfe(tpAmb=Tamb(tp_amb), xServ=TconsSitNfeXServ.CONSULTAR, chNFe=chave,
                              versao=TverConsSitNfe.VALUE_4_00))


def _evento(binding: ModuleType, event_type: str, access_key: str, cnpj: str, sequence: int, tp_amb: str,
            issued: str, detail: object) -> bytes:
    """The unsigned `evento` 1.00 in one event's bindings (nfe_evento_cancel's, nfe_evento_cce's: the same
    infEvento, each with its own detEvento), Id "ID" + tpEvento + chave + nSeqEvento on two digits."""
    inf = binding.Tevento.InfEvento(
        cOrgao=binding.TcorgaoIbge(access_key[:2]), tpAmb=binding.Tamb(tp_amb), CNPJ=cnpj, chNFe=access_key,
        dhEvento=issued, tpEvento=binding.InfEventoTpEvento(event_type), nSeqEvento=str(sequence),
        verEvento=binding.InfEventoVerEvento.VALUE_1_00, detEvento=detail,
        Id=f"ID{event_type}{access_key}{sequence:02d}")
    return _render(binding.Evento(infEvento=inf, versao="1.00"))


def _inut_nfe(inf_id: str, tp_amb: str, cuf: str, year: str, cnpj: str, series: int, first: int, last: int,
              reason: str) -> bytes:
    """The unsigned inutNFe 4.00 of modelo 55."""
    inf = InutNfe.InfInut(tpAmb=Tamb(tp_amb), xServ=InfInutXServ.INUTILIZAR, cUF=TcodUfIbge(cuf), ano=year,
                          CNPJ=cnpj, mod=Tmod.VALUE_55, serie=str(series), nNFIni=str(first), nNFFin=str(last),
                          xJust=_one_line(reason), Id=inf_id)
    return _render(InutNfe(infInut=inf, versao="4.00"))


class SefazAuthority:
    """The fiscal authority port over SEFAZ's web services, for one tenant (its UF and its A1)."""

    def __init__(self, transport: SoapTransport, signing_key_provider: Callable[[], SigningKey], uf: str,
                 clock: Clock, *, poll_attempts: int = 4, poll_wait_seconds: float = 2.0,
                 sleep: Callable[[float], None] = time.sleep,
                 endpoints: Mapping[str, Mapping[str, Mapping[str, str]]] = ENDPOINTS) -> None:
        if uf not in UF_CODES:
            raise ValueError(f"unknown UF {uf!r}")
        self._transport = transport
        self._key_provider = signing_key_provider
        self._uf = uf
        self._clock = clock
        self._poll_attempts = poll_attempts
        self._poll_wait = poll_wait_seconds
        self._sleep = sleep
        self._endpoints = endpoints

    # Plumbing
    def _now(self) -> datetime:
        return self._clock.now().replace(microsecond=0)

    def _key(self) -> SigningKey:
        key = self._key_provider()
        check_certificate(key, self._clock.now())
        return key

    def url(self, service: Service, environment: str) -> str:
        authorizer = AUTHORIZER_OF_UF[self._uf]
        try:
            return self._endpoints[authorizer][environment][service.key]
        except KeyError:
            raise UnsupportedAuthorizerError(
                f"No SEFAZ {service.wsdl} endpoint for {self._uf} ({authorizer}) in {environment}.",
                [FieldError("address.state", f"{self._uf} is served by {authorizer}, not configured")]) from None

    def _call(self, service: Service, environment: str, body: bytes, key: SigningKey, expected: str) -> etree._Element:
        raw = self._transport.post(self.url(service, environment), service.soap_action,
                                   soap_envelope(service, body), key)
        answer = _answer_root(raw, expected)
        cstat = _text(answer, "n:cStat") or _text(answer, "n:infInut/n:cStat")
        if cstat in codes.UNAVAILABLE:
            reason = _text(answer, "n:xMotivo") or _text(answer, "n:infInut/n:xMotivo")
            raise AuthorityUnavailableError(f"SEFAZ {service.wsdl} is down: {cstat} {reason}")
        return answer

    def _id_lote(self) -> str:
        return f"{self._clock.now().astimezone(SAO_PAULO):%y%m%d%H%M%S}{secrets.randbelow(1000):03d}"

    def _received(self, text: str) -> datetime:
        try:
            return datetime.fromisoformat(text) if text else self._now()
        except ValueError:
            return self._now()

    # Authorization
    def authorize(self, signed_nfe: bytes, environment: str) -> AuthorityAnswer:
        key = self._key()
        chave = _chave_of(signed_nfe)
        answer = self._call(AUTORIZACAO, environment, _envi_nfe(self._id_lote(), signed_nfe), key, "retEnviNFe")
        cstat = _text(answer, "n:cStat")
        if cstat == codes.LOTE_RECEBIDO:
            answer = self._poll(_text(answer, "n:infRec/n:nRec"), environment, key)
            cstat = _text(answer, "n:cStat")
        if cstat != codes.LOTE_PROCESSADO:  # the batch itself was refused (schema 225, 215, 999, …)
            return AuthorityAnswer(cstat or "999", _text(answer, "n:xMotivo"), self._received(_text(answer, "n:dhRecbto")))
        return self._protocol_answer(answer, chave)

    def _poll(self, nrec: str, environment: str, key: SigningKey) -> etree._Element:
        if not nrec:
            raise AuthorityUnavailableError("SEFAZ received the batch (103) but gave no receipt number.")
        cons = _cons_reci_nfe(TP_AMB[environment], nrec)
        for _ in range(self._poll_attempts):
            self._sleep(self._poll_wait)
            answer = self._call(RET_AUTORIZACAO, environment, cons, key, "retConsReciNFe")
            if _text(answer, "n:cStat") != codes.LOTE_EM_PROCESSAMENTO:
                return answer
        raise AuthorityUnavailableError(f"SEFAZ is still processing batch {nrec} after {self._poll_attempts} polls.")

    def _protocol_answer(self, answer: etree._Element, chave: str) -> AuthorityAnswer:
        prots = answer.findall(f"{NS}protNFe")
        prot = next((p for p in prots if _text(p, "n:infProt/n:chNFe") == chave), prots[0] if prots else None)
        if prot is None:
            raise AuthorityUnavailableError("SEFAZ processed the batch but returned no protNFe.")
        cstat, reason = _text(prot, "n:infProt/n:cStat"), _text(prot, "n:infProt/n:xMotivo")
        received = self._received(_text(prot, "n:infProt/n:dhRecbto"))
        if cstat in codes.WITH_PROTOCOL:
            return AuthorityAnswer(cstat, reason, received, _text(prot, "n:infProt/n:nProt") or None, _standalone(prot))
        return AuthorityAnswer(cstat, reason, received)

    # Consulta
    def consult(self, signed_nfe: bytes, environment: str) -> AuthorityAnswer | None:
        """The NF-e's situation at SEFAZ (`consSitNFe`): its `protNFe` when SEFAZ holds one (authorized,
        denied, or authorized and later cancelled: the protocol of the authorization is what the emission
        lacks), None when SEFAZ has no such NF-e (217) or refuses the query."""
        key = self._key()
        chave = _chave_of(signed_nfe)
        answer = self._call(CONSULTA, environment, _cons_sit_nfe(TP_AMB[environment], chave), key, "retConsSitNFe")
        if _text(answer, "n:cStat") not in codes.CONSULT_WITH_PROTOCOL or answer.find(f"{NS}protNFe") is None:
            return None
        return self._protocol_answer(answer, chave)

    # Events
    def register_event(self, access_key: str, event_type: str, sequence: int, text: str, environment: str,
                       protocol: str | None = None) -> AuthorityAnswer:
        binding: ModuleType
        if event_type == codes.EVENT_CANCEL:
            if not protocol:
                raise InvalidRequestError("Cancelling an NF-e at SEFAZ needs its authorization protocol.",
                                          [FieldError("protocol", "is required for event 110111")])
            binding = CANCEL
            detail: object = CANCEL.Tevento.InfEvento.DetEvento(
                descEvento=CANCEL.DetEventoDescEvento.CANCELAMENTO, nProt=protocol, xJust=_one_line(text),
                versao=CANCEL.DetEventoVersao.VALUE_1_00)
        elif event_type == codes.EVENT_CORRECTION:
            binding = CCE
            detail = CCE.Tevento.InfEvento.DetEvento(
                descEvento=CCE.DetEventoDescEvento("Carta de Correção"), xCorrecao=_one_line(text),
                xCondUso=CCE.DetEventoXCondUso(XCONDUSO_CCE), versao=CCE.DetEventoVersao.VALUE_1_00)
        else:
            raise InvalidRequestError(f"Event {event_type} is not supported.", [FieldError("event_type", event_type)])
        key = self._key()
        parsed = parse_chave(access_key)
        issued = self._clock.now().astimezone(SAO_PAULO).replace(microsecond=0).isoformat()
        evento = _evento(binding, event_type, access_key, parsed.cnpj, sequence, TP_AMB[environment], issued, detail)
        signed = sign_enveloped(evento, key, "infEvento")
        env = _around(binding.EnvEvento(idLote=self._id_lote(), evento=[binding.Evento()], versao="1.00"), "evento",
                      signed)
        answer = self._call(RECEPCAO_EVENTO, environment, env, key, "retEnvEvento")
        batch = _text(answer, "n:cStat")
        inner = answer.find(f"{NS}retEvento/{NS}infEvento")
        if batch != codes.LOTE_DE_EVENTO_PROCESSADO or inner is None:
            return AuthorityAnswer(batch or "999", _text(answer, "n:xMotivo"), self._now())
        return AuthorityAnswer(_text(inner, "n:cStat"), _text(inner, "n:xMotivo"),
                               self._received(_text(inner, "n:dhRegEvento")), _text(inner, "n:nProt") or None)

    # Manifestação do destinatário
    def manifest(self, recipient_cnpj: str, access_key: str, event_type: str, justification: str | None,
                 environment: str) -> AuthorityAnswer:
        if event_type not in MDE_DESCRIPTIONS:
            raise InvalidRequestError(f"Event {event_type} is not an MD-e event.", [FieldError("event_type", event_type)])
        key = self._key()
        issued = self._clock.now().astimezone(SAO_PAULO).replace(microsecond=0).isoformat()
        signed = sign_enveloped(_mde_evento(event_type, access_key, recipient_cnpj, TP_AMB[environment], issued,
                                            justification), key, "infEvento")
        env = _around(MDE.EnvEvento(idLote=self._id_lote(), evento=[MDE.Evento()], versao="1.00"), "evento", signed)
        raw = self._transport.post(AN_RECEPCAO_EVENTO[environment], RECEPCAO_EVENTO.soap_action,
                                   soap_envelope(RECEPCAO_EVENTO, env), key)
        answer = _answer_root(raw, "retEnvEvento")
        batch = _text(answer, "n:cStat")
        if batch in codes.UNAVAILABLE:
            raise AuthorityUnavailableError(f"the Ambiente Nacional's event service is down: {batch}")
        inner = answer.find(f"{NS}retEvento/{NS}infEvento")
        if batch != codes.LOTE_DE_EVENTO_PROCESSADO or inner is None:
            return AuthorityAnswer(batch or "999", _text(answer, "n:xMotivo"), self._now())
        return AuthorityAnswer(_text(inner, "n:cStat"), _text(inner, "n:xMotivo"),
                               self._received(_text(inner, "n:dhRegEvento")), _text(inner, "n:nProt") or None)

    # Distribuição DF-e
    def distribute(self, recipient_cnpj: str, environment: str, last_nsu: str) -> Distribution:
        return self._distribution(environment, _dist_dfe_int(TP_AMB[environment], UF_CODES[self._uf],
                                                             recipient_cnpj, last_nsu))

    def distribute_one(self, recipient_cnpj: str, environment: str, nsu: str) -> Distribution:
        return self._distribution(environment, _dist_dfe_int(TP_AMB[environment], UF_CODES[self._uf],
                                                             recipient_cnpj, None, one=nsu))

    def _distribution(self, environment: str, body: bytes) -> Distribution:
        key = self._key()
        raw = self._transport.post(AN_DISTRIBUICAO[environment], DISTRIBUICAO.soap_action,
                                   distribution_envelope(body), key)
        answer = _answer_root(raw, "retDistDFeInt")
        if _text(answer, "n:cStat") in codes.UNAVAILABLE:
            raise AuthorityUnavailableError(f"the Ambiente Nacional's distribution is down: {_text(answer, 'n:cStat')}")
        return read_distribution(answer, self._now())

    # Inutilização
    def void_numbers(self, cnpj: str, series: int, first: int, last: int, reason: str,
                     environment: str) -> AuthorityAnswer:
        key = self._key()
        cuf = UF_CODES[self._uf]
        year = f"{self._clock.now().astimezone(SAO_PAULO):%y}"
        inf_id = f"ID{cuf}{year}{cnpj}55{series:03d}{first:09d}{last:09d}"
        inut = _inut_nfe(inf_id, TP_AMB[environment], cuf, year, cnpj, series, first, last, reason)
        answer = self._call(INUTILIZACAO, environment, sign_enveloped(inut, key, "infInut"), key, "retInutNFe")
        return AuthorityAnswer(_text(answer, "n:infInut/n:cStat"), _text(answer, "n:infInut/n:xMotivo"),
                               self._received(_text(answer, "n:infInut/n:dhRecbto")),
                               _text(answer, "n:infInut/n:nProt") or None)


class RequestsSoapTransport:
    """The real transport: `requests` with the tenant's A1 as TLS client certificate.

    The key and certificate go through a temporary PEM pair (mode 0600) only long enough for
    `SSLContext.load_cert_chain` to read them; the context is kept in memory per certificate.
    `verify` is True (the system/certifi roots) or a CA bundle path: some SEFAZ servers present
    ICP-Brasil chains that certifi does not carry, so production needs a bundle with those roots."""

    CONNECT_TIMEOUT, READ_TIMEOUT = 10.0, 45.0

    def __init__(self, *, verify: bool | str = True, timeout: tuple[float, float] | None = None) -> None:
        self._verify = verify
        self._timeout = timeout or (self.CONNECT_TIMEOUT, self.READ_TIMEOUT)
        self._sessions: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _context(self, cert: SigningKey) -> ssl.SSLContext:
        cafile = self._verify if isinstance(self._verify, str) else None
        context = ssl.create_default_context(cafile=cafile)
        if self._verify is False:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        with tempfile.TemporaryDirectory(prefix="a1-") as folder:
            cert_path, key_path = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
            for path, data in (
                (cert_path, cert.certificate.public_bytes(serialization.Encoding.PEM)),
                (key_path, cert.private_key.private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.TraditionalOpenSSL,
                                                          serialization.NoEncryption())),
            ):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
            context.load_cert_chain(cert_path, key_path)
        return context

    def _session(self, cert: SigningKey) -> Any:
        import requests
        from requests.adapters import HTTPAdapter

        context = None

        class _ClientCertAdapter(HTTPAdapter):
            def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
                kwargs["ssl_context"] = context
                super().init_poolmanager(*args, **kwargs)

            def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
                proxy_kwargs["ssl_context"] = context
                return super().proxy_manager_for(proxy, **proxy_kwargs)

        with self._lock:
            session = self._sessions.get(cert.fingerprint)
            if session is None:
                context = self._context(cert)
                session = requests.Session()
                session.mount("https://", _ClientCertAdapter())
                if len(self._sessions) >= 32:
                    self._sessions.pop(next(iter(self._sessions))).close()
                self._sessions[cert.fingerprint] = session
        return session

    def post(self, url: str, soap_action: str, envelope: bytes, cert: SigningKey) -> bytes:
        import requests

        headers = {"Content-Type": f'application/soap+xml; charset=utf-8; action="{soap_action}"'}
        try:
            response = self._session(cert).post(url, data=envelope, headers=headers, timeout=self._timeout,
                                                verify=self._verify)
        except requests.exceptions.RequestException as exc:  # connection, TLS, timeout
            raise AuthorityUnavailableError(f"SEFAZ did not answer ({type(exc).__name__}: {exc}).") from exc
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise AuthorityUnavailableError(f"SEFAZ answered HTTP {response.status_code}.")
        if response.status_code >= 400:
            raise AuthorityUnavailableError(f"SEFAZ refused the request: HTTP {response.status_code} "
                                            f"{response.text[:200]}")
        return bytes(response.content)

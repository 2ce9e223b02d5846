"""The authorized file: `nfeProc` = the signed `NFe`, byte for byte, + `protNFe`.

The signed NFe is spliced in as bytes, never parsed into nfelib's bindings and re-serialized: that keeps
the signature intact (a re-serialized NFe still passes the XSD but its signature breaks). `build_prot_nfe`
writes the protocol the local fiscal-authority adapter grants; with SEFAZ, splice the `protNFe` element of
its answer instead (`build_nfe_proc` takes either).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from lxml import etree

from chalicelib.invoicing import codes
from chalicelib.invoicing.chave import is_valid_chave
from chalicelib.invoicing.signing import digest_value

NFE_NAMESPACE = "http://www.portalfiscal.inf.br/nfe"
CSTAT_AUTORIZADO = codes.AUTORIZADO
XMOTIVO_AUTORIZADO = codes.TEXTS[codes.AUTORIZADO]

_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>\s*")


@dataclass(frozen=True)
class Protocol:
    """What an authorization answer says: environment, app version, when, the protocol number and status."""

    tp_amb: str
    ver_aplic: str
    chave: str
    received_at: datetime
    nprot: str
    dig_val: str
    cstat: str = CSTAT_AUTORIZADO
    xmotivo: str = XMOTIVO_AUTORIZADO


def protocol_for(signed_nfe: bytes, *, nprot: str, received_at: datetime, ver_aplic: str = "RETAGUARDA-LOCAL") -> Protocol:
    """An authorization (cStat 100) for this signed NFe: chave, tpAmb and digVal are read from it."""
    root = etree.fromstring(signed_nfe)
    inf = root.find(f"{{{NFE_NAMESPACE}}}infNFe")
    if inf is None:
        raise ValueError("not an NFe")
    tp_amb = inf.findtext(f"{{{NFE_NAMESPACE}}}ide/{{{NFE_NAMESPACE}}}tpAmb") or ""
    return Protocol(tp_amb=tp_amb, ver_aplic=ver_aplic, chave=inf.get("Id", "")[3:], received_at=received_at,
                    nprot=nprot, dig_val=digest_value(signed_nfe))


def build_prot_nfe(protocol: Protocol) -> bytes:
    """The `protNFe` element (versao 4.00) for this protocol."""
    if not (protocol.nprot.isdigit() and len(protocol.nprot) == 15):
        raise ValueError("nProt has 15 digits")
    if not is_valid_chave(protocol.chave):
        raise ValueError("chNFe is not a valid chave de acesso")
    if protocol.received_at.tzinfo is None:
        raise ValueError("dhRecbto must carry its UTC offset")
    received = protocol.received_at.replace(microsecond=0).isoformat()
    return (
        f'<protNFe xmlns="{NFE_NAMESPACE}" versao="4.00"><infProt>'
        f"<tpAmb>{escape(protocol.tp_amb)}</tpAmb><verAplic>{escape(protocol.ver_aplic)}</verAplic>"
        f"<chNFe>{protocol.chave}</chNFe><dhRecbto>{received}</dhRecbto><nProt>{protocol.nprot}</nProt>"
        f"<digVal>{escape(protocol.dig_val)}</digVal><cStat>{escape(protocol.cstat)}</cStat>"
        f"<xMotivo>{escape(protocol.xmotivo)}</xMotivo></infProt></protNFe>"
    ).encode()


def build_nfe_proc(signed_nfe: bytes, prot_nfe: bytes) -> bytes:
    """`<nfeProc versao="4.00">` + the signed NFe's own bytes + the protNFe, with one XML declaration."""
    nfe = _DECLARATION.sub(b"", signed_nfe, count=1).strip()
    prot = _DECLARATION.sub(b"", prot_nfe, count=1).strip()
    if not nfe.startswith(b"<NFe"):
        raise ValueError("the signed document must be an unprefixed NFe element")
    if not prot.startswith(b"<protNFe"):
        raise ValueError("the protocol must be an unprefixed protNFe element")
    return (b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<nfeProc xmlns="' + NFE_NAMESPACE.encode() + b'" versao="4.00">' + nfe + prot + b"</nfeProc>")

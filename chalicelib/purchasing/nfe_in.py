"""A supplier's NF-e taken in: well-formed, one of `NFe` or `nfeProc`, valid against the official XSD, its
XML-DSig verified, then read through nfelib's bindings into what purchasing keeps.

Refusals are 400 naming what is wrong (`body` for the document, `Signature` for the signature,
`protNFe` for a protocol that is not this NF-e's authorization). Whether it is addressed to the tenant,
and whether its certificate must chain to ICP-Brasil, is the service's call (it knows the tenant).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from chalicelib.platform.errors import FieldError, InvalidRequestError
from chalicelib.platform.money import round_cents
from chalicelib.purchasing.model import (
    Emitter,
    InboundInstallment,
    InboundLine,
    InboundTotals,
    entry_cfop,
)

NFE_NS = "http://www.portalfiscal.inf.br/nfe"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
AUTHORIZED = frozenset({"100", "150"})  # autorizado o uso (150: fora de prazo)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)


@dataclass(frozen=True)
class SupplierNfe:
    access_key: str
    number: int
    series: int
    model: str
    environment: str  # producao | homologacao
    issued_at: datetime
    nature: str
    emitter: Emitter
    recipient_document: str | None
    lines: list[InboundLine]
    totals: InboundTotals
    installments: list[InboundInstallment]
    installments_stated: bool
    protocol: str | None
    signer: str
    certificate_der: bytes
    nfe_xml: bytes  # the signed NFe element alone (what the signature covers)


def _refuse(message: str, field: str, detail: str) -> InvalidRequestError:
    return InvalidRequestError(message, [FieldError(field, detail)])


def cents(value: Any, field: str) -> int:
    """An NF-e's decimal reais as centavos (half up); an empty value is 0, a non-number 400 naming it."""
    if value in (None, ""):
        return 0
    try:
        return round_cents(Decimal(str(value)) * 100)
    except InvalidOperation:
        raise _refuse("The NF-e has a value that is not a number.", "body", f"{field}: {value!r}") from None


def _decimal(value: Any, field: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise _refuse("The NF-e has a quantity that is not a number.", "body", f"{field}: {value!r}") from None


def _children(group: Any) -> list[Any]:
    """The groups set inside an xsdata choice container (ICMS → ICMS00 | ICMS10 | ICMSSN102 …)."""
    if group is None or not dataclasses.is_dataclass(group):
        return []
    return [v for f in dataclasses.fields(group) if (v := getattr(group, f.name)) is not None
            and dataclasses.is_dataclass(v)]


def _tax(group: Any, name: str) -> int:
    for child in _children(group):
        if getattr(child, name, None) not in (None, ""):
            return cents(getattr(child, name), name)
    return 0


def _ipi(imposto: Any) -> int:
    ipi = getattr(imposto, "IPI", None)
    trib = getattr(ipi, "IPITrib", None) if ipi is not None else None
    return cents(getattr(trib, "vIPI", None), "vIPI") if trib is not None else 0


def _gtin(*values: Any) -> str | None:
    for value in values:
        text = str(value or "").strip()
        if text and text.upper() != "SEM GTIN" and text.isdigit():
            return text
    return None


def _address(ender: Any) -> dict[str, Any] | None:
    """The emitter's address as brazil.places.Address reads it, or None when it does not (a supplier's NF-e
    is not refused for an address we would have written differently)."""
    from pydantic import ValidationError

    from chalicelib.brazil.places import Address

    if ender is None:
        return None
    try:
        return Address.model_validate({
            "street": ender.xLgr, "number": ender.nro, "complement": ender.xCpl or None, "district": ender.xBairro,
            "city": ender.xMun, "state": str(getattr(ender.UF, "value", ender.UF)), "city_code": ender.cMun,
            "zip": ender.CEP}).model_dump(mode="json")
    except (ValidationError, AttributeError, TypeError):
        return None


def _text(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def read(raw: bytes) -> SupplierNfe:
    """Parse, validate and verify a supplier's NF-e (`NFe` or `nfeProc`); 400 naming what is wrong."""
    from chalicelib.invoicing import signing, xsd

    if b"<!DOCTYPE" in raw[:2048].upper() or b"<!ENTITY" in raw.upper():
        raise _refuse("An NF-e has no DOCTYPE or entities.", "body", "declares a DOCTYPE or an entity")
    try:
        root = etree.fromstring(raw, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise _refuse("The body is not well-formed XML.", "body", str(exc.msg)[:200]) from None
    if root.tag == f"{{{NFE_NS}}}nfeProc":
        errors = xsd.validate_nfe_proc(root)
        nfe_el = root.find(f"{{{NFE_NS}}}NFe")
    elif root.tag == f"{{{NFE_NS}}}NFe":
        errors = xsd.validate_nfe(root)
        nfe_el = root
    else:
        raise _refuse("The body is not an NF-e.", "body", "the root must be NFe or nfeProc in the NF-e namespace")
    if errors:
        raise InvalidRequestError("The NF-e is not valid against the official XSD (v4.00).",
                                  [FieldError("body", str(e)[:300]) for e in errors[:5]])
    assert nfe_el is not None
    nfe_xml = etree.tostring(nfe_el, encoding="UTF-8")
    try:
        signer = signing.verify_signature(nfe_xml)
    except signing.SignatureVerificationError as exc:
        raise _refuse("The NF-e's signature does not verify: it was altered after signing or is not "
                      "signed by the certificate it carries.", "Signature", str(exc)[:300]) from None
    cert_el = nfe_el.find(f"{{{DS_NS}}}Signature/{{{DS_NS}}}KeyInfo/{{{DS_NS}}}X509Data/{{{DS_NS}}}X509Certificate")
    import base64

    certificate = base64.b64decode("".join((cert_el.text or "").split())) if cert_el is not None else b""
    nfe = _binding(nfe_xml)
    inf = nfe.infNFe
    access_key = str(inf.Id)[3:]
    protocol = None
    if root.tag == f"{{{NFE_NS}}}nfeProc":
        prot = root.find(f"{{{NFE_NS}}}protNFe/{{{NFE_NS}}}infProt")
        if prot is None or prot.findtext(f"{{{NFE_NS}}}chNFe") != access_key:
            raise _refuse("The nfeProc's protocol is not this NF-e's.", "protNFe", "chNFe differs from the NF-e's key")
        if prot.findtext(f"{{{NFE_NS}}}cStat") not in AUTHORIZED:
            raise _refuse("The nfeProc's protocol is not an authorization.", "protNFe",
                          f"cStat {prot.findtext(f'{{{NFE_NS}}}cStat')} is not 100 or 150")
        protocol = prot.findtext(f"{{{NFE_NS}}}nProt")
    return _read(nfe, access_key, protocol, signer, certificate, nfe_xml)


def _binding(nfe_xml: bytes) -> Any:
    from nfelib.nfe.bindings.v4_0.nfe_v4_00 import Nfe
    from xsdata.formats.dataclass.parsers import XmlParser

    return XmlParser().from_bytes(nfe_xml, Nfe)  # the class named: no scan of every dataclass loaded


def _read(nfe: Any, access_key: str, protocol: str | None, signer: str, certificate: bytes,
          nfe_xml: bytes) -> SupplierNfe:
    inf = nfe.infNFe
    ide, emit, dest, tot = inf.ide, inf.emit, inf.dest, inf.total.ICMSTot
    lines = []
    for det in inf.det:
        prod, imposto = det.prod, det.imposto
        cfop = _text(prod.CFOP)
        lines.append(InboundLine(
            item=int(det.nItem), supplier_code=str(prod.cProd), gtin=_gtin(prod.cEAN, prod.cEANTrib),
            description=str(prod.xProd), ncm=str(prod.NCM), cfop=cfop, entry_cfop=entry_cfop(cfop),
            quantity=_decimal(prod.qCom, "qCom"), unit=str(prod.uCom),
            unit_cost_cents=cents(prod.vUnCom, "vUnCom"), total_cents=cents(prod.vProd, "vProd"),
            discount_cents=cents(prod.vDesc, "vDesc"), freight_cents=cents(prod.vFrete, "vFrete"),
            insurance_cents=cents(prod.vSeg, "vSeg"), other_cents=cents(prod.vOutro, "vOutro"),
            icms_cents=_tax(imposto.ICMS, "vICMS"), icms_st_cents=_tax(imposto.ICMS, "vICMSST"),
            ipi_cents=_ipi(imposto), pis_cents=_tax(imposto.PIS, "vPIS"), cofins_cents=_tax(imposto.COFINS, "vCOFINS")))
    totals = InboundTotals(
        products_cents=cents(tot.vProd, "vProd"), freight_cents=cents(tot.vFrete, "vFrete"),
        insurance_cents=cents(tot.vSeg, "vSeg"), discount_cents=cents(tot.vDesc, "vDesc"),
        other_cents=cents(tot.vOutro, "vOutro"), icms_cents=cents(tot.vICMS, "vICMS"),
        icms_st_cents=cents(tot.vST, "vST"), ipi_cents=cents(tot.vIPI, "vIPI"), pis_cents=cents(tot.vPIS, "vPIS"),
        cofins_cents=cents(tot.vCOFINS, "vCOFINS"), total_cents=cents(tot.vNF, "vNF"))
    issued_at = datetime.fromisoformat(str(ide.dhEmi))
    dups = inf.cobr.dup if inf.cobr is not None else []
    installments = [InboundInstallment(number=str(d.nDup or f"{n:03d}"), due_date=date.fromisoformat(str(d.dVenc)),
                                       amount_cents=cents(d.vDup, "vDup"))
                    for n, d in enumerate(dups, start=1) if d.dVenc]
    stated = bool(installments)
    if not stated:  # no cobr/dup: one installment for the whole, due on the day it was issued
        installments = [InboundInstallment(number="001", due_date=issued_at.date(), amount_cents=totals.total_cents)]
    emitter = Emitter(document=str(emit.CNPJ or emit.CPF), name=str(emit.xNome), trade_name=emit.xFant or None,
                      state_registration=str(emit.IE) if emit.IE else None,
                      phone=str(emit.enderEmit.fone) if emit.enderEmit is not None and emit.enderEmit.fone else None,
                      address=_address(emit.enderEmit))
    return SupplierNfe(
        access_key=access_key, number=int(ide.nNF), series=int(ide.serie), model=_text(ide.mod),
        environment="producao" if _text(ide.tpAmb) == "1" else "homologacao", issued_at=issued_at,
        nature=str(ide.natOp), emitter=emitter,
        recipient_document=str(dest.CNPJ or dest.CPF or "") or None if dest is not None else None,
        lines=lines, totals=totals, installments=installments, installments_stated=stated, protocol=protocol,
        signer=signer, certificate_der=certificate, nfe_xml=nfe_xml)


def check_chain(certificate_der: bytes, bundle_pem: bytes | None, at: datetime) -> None:
    """A produção NF-e's certificate must chain to a root of the ICP-Brasil bundle (400 naming Signature
    otherwise): each link's signature checked with cryptography, up to a self-signed root in the bundle."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature

    if not bundle_pem:
        raise _refuse("A produção NF-e needs the ICP-Brasil roots to verify its certificate.", "Signature",
                      "no ICP-Brasil CA bundle is configured (ICP_BRASIL_CA_BUNDLE)")
    try:
        certificate = x509.load_der_x509_certificate(certificate_der)
        authorities = x509.load_pem_x509_certificates(bundle_pem)
    except ValueError:
        raise _refuse("The NF-e's certificate cannot be read.", "Signature", "not an X.509 certificate") from None
    by_subject = {a.subject: a for a in authorities}
    current = certificate
    for _ in range(8):
        if not current.not_valid_before_utc <= at <= current.not_valid_after_utc:
            raise _refuse("The NF-e's certificate chain is not valid at its issue.", "Signature",
                          f"{current.subject.rfc4514_string()} is outside its validity")
        issuer = by_subject.get(current.issuer)
        if issuer is None:
            raise _refuse("The NF-e is not signed with an ICP-Brasil certificate.", "Signature",
                          f"no ICP-Brasil authority issued {current.subject.rfc4514_string()}")
        try:
            current.verify_directly_issued_by(issuer)
        except (InvalidSignature, ValueError, TypeError) as exc:
            raise _refuse("The NF-e's certificate chain does not verify.", "Signature", str(exc)[:200]) from None
        if issuer.subject == issuer.issuer:
            return
        current = issuer
    raise _refuse("The NF-e's certificate chain is too long.", "Signature", "more than 8 links")

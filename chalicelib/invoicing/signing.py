"""XML-DSig of an NF-e with the issuer's A1 certificate (PKCS#12), through signxml directly.

The manual's profile: enveloped signature over `infNFe` (reference `#NFe<chave>`), RSA-SHA1 and SHA1 digest
(signxml refuses SHA1 unless told), C14N 1.0 inclusive for SignedInfo and the reference, transforms
enveloped-signature + C14N, KeyInfo/X509Data/X509Certificate with the signer's certificate only. The `ds`
namespace is the default one (no prefix) and empty `xmlns=""` declarations are excised, or xmlsec-based
verifiers such as SEFAZ's reject it (cStat 297). Never parse the signed XML back into nfelib's bindings
and re-serialize it: the XSD still passes but the signature no longer does.

erpbrasil.assinatura (and nfelib's `sign_xml`, which goes through it) pins old signxml/cryptography/lxml:
it is not used.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.signer import XMLSigner
from signxml.util import namespaces as signxml_namespaces
from signxml.verifier import SignatureConfiguration, XMLVerifier

from chalicelib.platform.errors import AppError

DS_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"
NFE_NAMESPACE = "http://www.portalfiscal.inf.br/nfe"
C14N_1_0 = CanonicalizationMethod.CANONICAL_XML_1_0
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'


class CertificateError(AppError):
    """The tenant's A1 certificate cannot be used to sign."""

    status, code, title = 422, "invalid_certificate", "Invalid certificate"


class CertificatePasswordError(CertificateError):
    """The PKCS#12 password is wrong."""

    code = "certificate_wrong_password"


class CertificateFormatError(CertificateError):
    """The file is not a PKCS#12 (.pfx/.p12) holding an RSA key and its certificate."""

    code = "certificate_not_pkcs12"


class CertificateExpiredError(CertificateError):
    """The certificate is outside its validity period."""

    code = "certificate_expired"


class SignatureVerificationError(AppError):
    """The XML signature does not verify (tampered content, wrong key or malformed Signature)."""

    status, code, title = 422, "invalid_signature", "Invalid signature"


@dataclass(frozen=True)
class SigningKey:
    """A loaded A1: the private key, its certificate, and what to show about it."""

    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    fingerprint: str

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @property
    def not_valid_after(self) -> datetime:
        return self.certificate.not_valid_after_utc


_CACHE_SIZE = 32  # tenants whose keys a warm Lambda keeps
_cache: dict[str, SigningKey] = {}
_cache_lock = threading.Lock()


def load_pkcs12(data: bytes, password: str | bytes | None, *, now: datetime | None = None) -> SigningKey:
    """Load (once per process, cached by the SHA-256 of file and password) an A1 certificate.

    Raises CertificatePasswordError, CertificateFormatError or CertificateExpiredError."""
    pwd = password.encode() if isinstance(password, str) else password
    fingerprint = hashlib.sha256(data + b"\0" + (pwd or b"")).hexdigest()
    key = _cache.get(fingerprint)
    if key is None:
        key = _load(data, pwd, fingerprint)
        with _cache_lock:
            if len(_cache) >= _CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
            _cache[fingerprint] = key
    _check_validity(key.certificate, now or datetime.now(UTC))
    return key


def _load(data: bytes, pwd: bytes | None, fingerprint: str) -> SigningKey:
    if not data or data[:1] != b"\x30":
        raise CertificateFormatError("the file is not a PKCS#12 (.pfx/.p12) certificate")
    try:
        private_key, certificate, _ = pkcs12.load_key_and_certificates(data, pwd)
    except ValueError as exc:
        # cryptography says "Invalid password or PKCS12 data" for both; tell them apart by trying to parse
        # the outer structure without a password.
        if _looks_like_pkcs12(data):
            raise CertificatePasswordError("the certificate password is wrong") from exc
        raise CertificateFormatError("the file is not a PKCS#12 (.pfx/.p12) certificate") from exc
    if not isinstance(private_key, rsa.RSAPrivateKey) or certificate is None:
        raise CertificateFormatError("the PKCS#12 must hold an RSA private key and its certificate")
    return SigningKey(private_key=private_key, certificate=certificate, fingerprint=fingerprint)


def _looks_like_pkcs12(data: bytes) -> bool:
    """A DER SEQUENCE starting with version 3 (PFX), which is all a wrong password leaves readable."""
    # 30 len 02 01 03: SEQUENCE { INTEGER 3 ... } with short or long form length
    if len(data) < 8 or data[0] != 0x30:
        return False
    length_byte = data[1]
    offset = 2 + (length_byte & 0x7F if length_byte & 0x80 else 0)
    return data[offset:offset + 3] == b"\x02\x01\x03"


def _check_validity(cert: x509.Certificate, now: datetime) -> None:
    if now > cert.not_valid_after_utc:
        raise CertificateExpiredError(f"the certificate expired on {cert.not_valid_after_utc.date().isoformat()}")
    if now < cert.not_valid_before_utc:
        raise CertificateExpiredError(f"the certificate is valid only from {cert.not_valid_before_utc.isoformat()}")


class _NfeSigner(XMLSigner):
    """signxml's signer with SHA1 allowed: the NF-e manual still mandates RSA-SHA1."""

    def check_deprecated_methods(self) -> None:
        return None


def _signer() -> XMLSigner:
    signer = _NfeSigner(signature_algorithm=SignatureMethod.RSA_SHA1, digest_algorithm=DigestAlgorithm.SHA1,
                        c14n_algorithm=C14N_1_0)
    signer.namespaces = {None: signxml_namespaces.ds}  # type: ignore[dict-item]
    signer.excise_empty_xmlns_declarations = True
    return signer


def sign_enveloped(xml: bytes, key: SigningKey, inf_tag: str) -> bytes:
    """The document with its enveloped Signature over its child `inf_tag` (infNFe, infEvento, infInut):
    the NF-e profile (RSA-SHA1, C14N 1.0, `ds` as the default namespace, base64 on one line), as UTF-8
    bytes without an XML declaration."""
    root = etree.fromstring(xml)
    inf = root.find(f"{{{NFE_NAMESPACE}}}{inf_tag}")
    if inf is None or not inf.get("Id"):
        raise ValueError(f"no {inf_tag} with an Id to sign")
    cert_pem = key.certificate.public_bytes(serialization.Encoding.PEM).decode()
    signed = _signer().sign(root, key=key.private_key, cert=cert_pem, reference_uri="#" + inf.get("Id"))
    # signxml builds the unprefixed Signature's children without a namespace in memory: parse it back so
    # every element is where the serialized document puts it.
    signed = etree.fromstring(etree.tostring(signed, encoding="UTF-8"))
    # Base64 line breaks are legal, but SEFAZ's rule against formatting characters (588) makes some
    # validators balk; neither element is covered by the signature, so they go on one line.
    for path in ("SignatureValue", "KeyInfo/ds:X509Data/ds:X509Certificate"):
        for el in signed.iterfind(f"ds:Signature/ds:{path}", namespaces={"ds": DS_NAMESPACE}):
            el.text = "".join((el.text or "").split())
    return bytes(etree.tostring(signed, encoding="UTF-8", xml_declaration=False))


def sign_nfe(xml: bytes, key: SigningKey) -> bytes:
    """The NFe with its enveloped Signature (after infNFe), as UTF-8 bytes with an XML declaration."""
    return XML_DECLARATION + sign_enveloped(xml, key, "infNFe")


_VERIFY_CONFIG = SignatureConfiguration(
    require_x509=True,
    location="./",  # the Signature is a child of the root (NFe)
    signature_methods=frozenset({SignatureMethod.RSA_SHA1}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA1}),
)


def verify_signature(xml_bytes: bytes, *, now: datetime | None = None) -> str:
    """Check the NFe's signature against the certificate it carries; return that certificate's subject.

    The signature is checked cryptographically, not the ICP-Brasil chain: that is SEFAZ's job (and a
    self-signed test certificate must pass here). Raises SignatureVerificationError."""
    try:
        root = etree.fromstring(xml_bytes)
        nfe = root if root.tag == f"{{{NFE_NAMESPACE}}}NFe" else root.find(f"{{{NFE_NAMESPACE}}}NFe")
        if nfe is None:
            raise SignatureVerificationError("no NFe element to verify")
        cert_el = nfe.find(f"{{{DS_NAMESPACE}}}Signature/{{{DS_NAMESPACE}}}KeyInfo/{{{DS_NAMESPACE}}}X509Data/"
                           f"{{{DS_NAMESPACE}}}X509Certificate")
        if cert_el is None or not cert_el.text:
            raise SignatureVerificationError("the Signature carries no X509Certificate")
        cert = x509.load_der_x509_certificate(_b64(cert_el.text))
        config = _VERIFY_CONFIG
        if now is not None:
            config = replace(config, verification_time=now)
        verifier = XMLVerifier()
        # signxml 5.2's verifier canonicalizes a default-namespace (unprefixed) SignedInfo with a spurious
        # xmlns="" and fails signatures that xmlsec1 (SEFAZ's kind of verifier) accepts; excising it makes
        # both agree (checked against `xmlsec1 --verify` in the tests).
        verifier.excise_empty_xmlns_declarations = True
        verifier.verify(nfe, x509_cert=cert, expect_config=config)
    except (InvalidSignature, InvalidDigest, InvalidCertificate, InvalidInput, etree.XMLSyntaxError, ValueError) as exc:
        raise SignatureVerificationError(f"the signature does not verify: {exc}") from exc
    return cert.subject.rfc4514_string()


def digest_value(xml_bytes: bytes) -> str:
    """The DigestValue of the NFe's signature (protNFe/infProt/digVal repeats it)."""
    root = etree.fromstring(xml_bytes)
    el = root.find(f".//{{{DS_NAMESPACE}}}Reference/{{{DS_NAMESPACE}}}DigestValue")
    if el is None or not el.text:
        raise ValueError("the document has no signature DigestValue")
    return str(el.text).strip()


def _b64(text: str) -> bytes:
    return base64.b64decode("".join(text.split()))


def generate_test_certificate(cnpj: str, name: str = "RETAGUARDA TESTE", *, password: str | None = None,
                              valid_days: int = 365, now: datetime | None = None) -> tuple[bytes, str]:
    """A self-signed A1-like certificate for `cnpj` as (PKCS#12 bytes, password): RSA 2048, CN
    "NAME:CNPJ" like ICP-Brasil's, valid for `valid_days` from `now`. For tests and for tenants who have
    not uploaded theirs (homologação only: SEFAZ accepts ICP-Brasil chains only)."""
    start = (now or datetime.now(UTC)) - timedelta(minutes=5)
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "BR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Retaguarda"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Certificado de teste - sem valor fiscal"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{name}:{cnpj}"),
    ])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=True,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(private_key, hashes.SHA256())
    )
    password = password or secrets.token_urlsafe(16)
    data = pkcs12.serialize_key_and_certificates(
        name=f"{name}:{cnpj}".encode(), key=private_key, cert=certificate, cas=None,
        encryption_algorithm=serialization.BestAvailableEncryption(password.encode()),
    )
    return data, password

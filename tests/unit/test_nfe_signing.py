"""XML-DSig of the NF-e: the manual's profile, verification, tampering, and A1 certificate errors."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree

from chalicelib.invoicing.nfe_xml import build_nfe
from chalicelib.invoicing.signing import (
    CertificateError,
    CertificateExpiredError,
    CertificateFormatError,
    CertificatePasswordError,
    SignatureVerificationError,
    digest_value,
    generate_test_certificate,
    load_pkcs12,
    sign_nfe,
    verify_signature,
)
from chalicelib.invoicing.xsd import validate_nfe
from tests.unit.test_nfe_factories import ISSUER_CNPJ, invoice, pkcs12_bytes, read_binding, signing_key

DS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"ds": DS, "n": "http://www.portalfiscal.inf.br/nfe"}


@pytest.fixture(scope="module")
def signed() -> bytes:
    built = build_nfe(invoice(n_items=3, tp_amb="1"))
    return sign_nfe(built.xml, signing_key())


def test_a_signed_nfe_verifies_and_names_its_certificate(signed: bytes) -> None:
    subject = verify_signature(signed)
    assert f"CN=LOJA EXEMPLO LTDA:{ISSUER_CNPJ}" in subject


def test_the_signature_follows_the_manual_profile(signed: bytes) -> None:
    root = etree.fromstring(signed)
    sig = root[-1]
    assert sig.tag == f"{{{DS}}}Signature" and sig.prefix is None  # default namespace, no "ds:" (rejeição 404)
    assert root[0].tag.endswith("infNFe") and len(root) == 2
    assert sig.find("ds:SignedInfo/ds:CanonicalizationMethod", NS).get("Algorithm") == \
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    assert sig.find("ds:SignedInfo/ds:SignatureMethod", NS).get("Algorithm") == f"{DS}rsa-sha1"
    ref = sig.find("ds:SignedInfo/ds:Reference", NS)
    assert ref.get("URI") == "#" + root[0].get("Id")
    assert [t.get("Algorithm") for t in ref.findall("ds:Transforms/ds:Transform", NS)] == [
        f"{DS}enveloped-signature", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"]
    assert ref.find("ds:DigestMethod", NS).get("Algorithm") == f"{DS}sha1"
    assert len(sig.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)) == 1
    assert b'xmlns=""' not in signed and b"ds:" not in signed
    assert b"\n" not in signed.split(b"?>", 1)[1]  # no formatting characters anywhere (rejeição 588)
    assert digest_value(signed) == ref.findtext("ds:DigestValue", namespaces=NS)


def test_changing_one_byte_of_a_value_breaks_the_signature(signed: bytes) -> None:
    tampered = signed.replace(b"<vProd>51.80</vProd>", b"<vProd>51.81</vProd>", 1)
    assert tampered != signed
    assert validate_nfe(tampered) == []  # still schema-valid: only the signature catches it
    with pytest.raises(SignatureVerificationError, match="does not verify"):
        verify_signature(tampered)


def test_a_tampered_signature_value_is_caught(signed: bytes) -> None:
    root = etree.fromstring(signed)
    value = root.find("ds:Signature/ds:SignatureValue", NS)
    value.text = ("A" if value.text[0] != "A" else "B") + value.text[1:]
    with pytest.raises(SignatureVerificationError):
        verify_signature(etree.tostring(root))


def test_re_serializing_through_the_bindings_breaks_the_signature(signed: bytes) -> None:
    from nfelib.nfe.bindings.v4_0.nfe_v4_00 import Nfe

    again = read_binding(signed, Nfe).to_xml(indent="").encode()
    with pytest.raises(SignatureVerificationError):
        verify_signature(again)


@pytest.mark.skipif(shutil.which("xmlsec1") is None, reason="xmlsec1 not installed (apt-get install xmlsec1)")
def test_xmlsec1_an_independent_verifier_accepts_the_signature(signed: bytes, tmp_path: Path) -> None:
    doc, cert = tmp_path / "nfe.xml", tmp_path / "cert.pem"
    doc.write_bytes(signed)
    cert.write_bytes(signing_key().certificate.public_bytes(serialization.Encoding.PEM))
    result = subprocess.run(["xmlsec1", "--verify", "--id-attr:Id", "infNFe", "--trusted-pem", str(cert), str(doc)],
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr


def test_the_pkcs12_is_loaded_once_per_process() -> None:
    data, password = pkcs12_bytes()
    assert load_pkcs12(data, password) is load_pkcs12(data, password)


def test_a_wrong_password_is_a_certificate_password_error() -> None:
    data, _ = pkcs12_bytes()
    with pytest.raises(CertificatePasswordError, match="password"):
        load_pkcs12(data, "not-the-password")


@pytest.mark.parametrize("data", [b"", b"hello", b"-----BEGIN CERTIFICATE-----\nMIIB\n", b"\x30\x03\x02\x01\x05"])
def test_a_file_that_is_not_pkcs12_is_a_certificate_format_error(data: bytes) -> None:
    with pytest.raises(CertificateFormatError):
        load_pkcs12(data, "x")


def test_an_expired_certificate_is_refused() -> None:
    data, password = pkcs12_bytes()
    with pytest.raises(CertificateExpiredError, match="expired"):
        load_pkcs12(data, password, now=datetime.now(UTC) + timedelta(days=400))


def test_certificate_errors_share_one_base_with_a_stable_code() -> None:
    for cls, code in ((CertificatePasswordError, "certificate_wrong_password"),
                      (CertificateFormatError, "certificate_not_pkcs12"),
                      (CertificateExpiredError, "certificate_expired")):
        assert issubclass(cls, CertificateError) and cls.code == code and cls.status == 422


def test_the_generated_test_certificate_looks_like_an_icp_brasil_a1() -> None:
    data, password = generate_test_certificate("45723174000110", "COMERCIO CARIOCA SA", valid_days=365)
    key = load_pkcs12(data, password)
    assert key.subject.startswith("CN=COMERCIO CARIOCA SA:45723174000110")
    assert key.private_key.key_size == 2048
    lifetime = key.certificate.not_valid_after_utc - key.certificate.not_valid_before_utc
    assert timedelta(days=364) < lifetime <= timedelta(days=365)

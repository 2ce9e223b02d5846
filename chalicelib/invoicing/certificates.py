"""The tenants' A1 certificates, kept in Secrets Manager (never in the table, never in an answer).

A tenant that has not uploaded a certificate gets a generated self-signed test certificate on
its first emission: the local authority accepts it, the SEFAZ adapter refuses it.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.serialization import Encoding

from chalicelib.invoicing.signing import SigningKey, generate_test_certificate, load_pkcs12
from chalicelib.platform.aws import client
from chalicelib.platform.config import get_settings

_DER = Encoding.DER


@dataclass(frozen=True)
class StoredCertificate:
    pfx: bytes
    password: str
    source: str  # "uploaded" | "test"


class CertificateStore(Protocol):
    def get(self, tenant_id: str) -> StoredCertificate | None: ...
    def put(self, tenant_id: str, certificate: StoredCertificate) -> str: ...


class SecretsManagerCertificateStore:
    def _name(self, tenant_id: str) -> str:
        return f"retaguarda/{get_settings().stage}/{tenant_id}/a1-certificate"

    def get(self, tenant_id: str) -> StoredCertificate | None:
        secrets = client("secretsmanager")
        try:
            value = json.loads(secrets.get_secret_value(SecretId=self._name(tenant_id))["SecretString"])
        except secrets.exceptions.ResourceNotFoundException:
            return None
        return StoredCertificate(base64.b64decode(value["pfx_base64"]), value["password"], value["source"])

    def put(self, tenant_id: str, certificate: StoredCertificate) -> str:
        secrets = client("secretsmanager")
        value = json.dumps({"pfx_base64": base64.b64encode(certificate.pfx).decode(),
                            "password": certificate.password, "source": certificate.source})
        name = self._name(tenant_id)
        try:
            secrets.create_secret(Name=name, SecretString=value)
        except secrets.exceptions.ResourceExistsException:
            secrets.put_secret_value(SecretId=name, SecretString=value)
        return name


def signing_key_for(tenant_id: str, cnpj: str, legal_name: str, store: CertificateStore,
                    now: datetime) -> tuple[SigningKey, str]:
    """The tenant's signing key and its source; a test certificate is made on first use, valid from `now`
    (the clock's, like every instant the NF-e and the authority judge it by)."""
    stored = store.get(tenant_id)
    if stored is None:
        pfx, password = generate_test_certificate(cnpj, legal_name[:40].upper(), now=now)
        stored = StoredCertificate(pfx, password, "test")
        store.put(tenant_id, stored)
    return load_pkcs12(stored.pfx, stored.password, now=now), stored.source


def upload_certificate(tenant_id: str, pfx_base64: str, password: str, store: CertificateStore,
                       now: Any = None, cnpj: str | None = None) -> dict[str, Any]:
    """Validate an uploaded A1 (PKCS#12) and keep it in Secrets Manager; return what may be shown.

    Errors name the field: a file that is not a PKCS#12, a wrong password, an expired certificate, an
    e-CNPJ of another company (SEFAZ compares the CNPJ base, the first 8 digits: rejeição 213). Base64
    may be wrapped in lines (what `base64` prints).
    """
    import binascii
    import hashlib

    from chalicelib.invoicing.signing import CertificateError
    from chalicelib.platform.errors import FieldError, InvalidRequestError

    try:
        pfx = base64.b64decode("".join(pfx_base64.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequestError("The certificate is not valid base64.",
                                  [FieldError("invoicing.certificate.pfx_base64", "is not valid base64")]) from None
    try:
        key = load_pkcs12(pfx, password, now=now)
    except CertificateError as exc:
        field = "invoicing.certificate.password" if "password" in exc.code else "invoicing.certificate.pfx_base64"
        raise InvalidRequestError(exc.detail, [FieldError(field, exc.detail)]) from None
    holder = certificate_cnpj(key.certificate)
    if cnpj and holder and holder[:8] != cnpj[:8]:
        message = f"is the e-CNPJ of {holder}, not of this tenant ({cnpj}): SEFAZ would reject every NF-e (213)"
        raise InvalidRequestError("The certificate belongs to another company.",
                                  [FieldError("invoicing.certificate.pfx_base64", message)])
    secret_ref = store.put(tenant_id, StoredCertificate(pfx, password, "uploaded"))
    return {"source": "uploaded", "subject": key.subject, "not_after": key.not_valid_after.isoformat(),
            "fingerprint_sha256": hashlib.sha256(key.certificate.public_bytes(_DER)).hexdigest(),
            "secret_ref": secret_ref}


# ICP-Brasil: the e-CNPJ's holder CNPJ, in the subject alternative name (otherName 2.16.76.1.3.3).
_OID_CNPJ = "2.16.76.1.3.3"


def certificate_cnpj(certificate: Any) -> str | None:
    """The CNPJ an ICP-Brasil e-CNPJ belongs to: the SAN otherName 2.16.76.1.3.3 or, failing that, the
    common name's `NAME:CNPJ` form; None when the certificate names none."""
    import re

    from cryptography import x509

    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        for other in names.get_values_for_type(x509.OtherName):
            if other.type_id.dotted_string == _OID_CNPJ:
                digits = re.sub(rb"\D", b"", other.value).decode()
                if len(digits) >= 14:
                    return digits[-14:]
    except x509.ExtensionNotFound:
        pass
    common = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    match = re.search(r":(\d{14})$", str(common[0].value)) if common else None
    return match.group(1) if match else None

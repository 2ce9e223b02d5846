"""Fiscal documents (signed XML, nfeProc, DANFE) in S3, under the tenant's prefix."""

from __future__ import annotations

from typing import Protocol

from chalicelib.platform.aws import client
from chalicelib.platform.errors import NotFoundError


class DocumentStore(Protocol):
    def put(self, tenant_id: str, invoice_id: str, name: str, body: bytes, content_type: str) -> str: ...
    def get(self, tenant_id: str, invoice_id: str, name: str) -> bytes: ...


class S3DocumentStore:
    def __init__(self, bucket: str) -> None:
        self._bucket = bucket

    @staticmethod
    def key(tenant_id: str, invoice_id: str, name: str) -> str:
        return f"tenants/{tenant_id}/invoices/{invoice_id}/{name}"

    def put(self, tenant_id: str, invoice_id: str, name: str, body: bytes, content_type: str) -> str:
        key = self.key(tenant_id, invoice_id, name)
        client("s3").put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type,
                                ServerSideEncryption="AES256")
        return key

    def get(self, tenant_id: str, invoice_id: str, name: str) -> bytes:
        s3 = client("s3")
        try:
            return bytes(s3.get_object(Bucket=self._bucket, Key=self.key(tenant_id, invoice_id, name))["Body"].read())
        except s3.exceptions.NoSuchKey:
            raise NotFoundError(f"No {name} for invoice {invoice_id} yet.") from None

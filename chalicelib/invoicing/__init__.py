"""Invoicing: the NF-e 4.00 (modelo 55) core, pure and import-heavy, so import its modules directly.

model (input dataclasses, rules) · chave (chave de acesso, cNF) · nfe_xml (build with nfelib) ·
signing (A1 certificates, XML-DSig) · xsd (official schemas) · proc (nfeProc).
"""

from __future__ import annotations


def check_order_cancellable(tenant_id: str, invoice_id: str) -> None:
    """Raise CancellationWindowExpiredError when the order's authorized NF-e can no longer be
    cancelled (24 h after authorization): the order must then be handled with a return NF-e."""
    from chalicelib import bootstrap
    from chalicelib.invoicing.lifecycle import check_cancellable

    invoice = bootstrap.invoice_repository().get(tenant_id, invoice_id)
    if invoice.status == "authorized":
        check_cancellable(invoice, bootstrap.clock().now())

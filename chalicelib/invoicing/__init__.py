"""Invoicing: the NF-e 4.00 (modelo 55) of each order, pure and import-heavy, so import its modules directly.

model (the invoice record and its state table) · codes (SEFAZ's cStat, texts, groups, event types) ·
nfe_input (the NF-e's input dataclasses and rules) · chave (chave de acesso, cNF) · nfe_xml (build with
nfelib) · signing (A1 certificates, XML-DSig) · xsd (official schemas) · proc (nfeProc) · authority (the
port and the local authority) · sefaz (the SEFAZ adapter) · service (use cases, InvoicingDeps).
"""

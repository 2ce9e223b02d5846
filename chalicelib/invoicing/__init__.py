"""Invoicing: the NF-e 4.00 (modelo 55) core, pure and import-heavy, so import its modules directly.

model (input dataclasses, rules) · chave (chave de acesso, cNF) · nfe_xml (build with nfelib) ·
signing (A1 certificates, XML-DSig) · xsd (official schemas) · proc (nfeProc).
"""

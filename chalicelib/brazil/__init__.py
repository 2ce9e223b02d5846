"""The Brazilian vocabulary several contexts share, in one home (pure: no I/O, no state).

`documents` (CPF and CNPJ), `places` (UFs and their IBGE codes, municipality codes, CEP, the address the
NF-e needs) and `taxes` (the CSOSN and CST codes a tax rule may name, their groups, `TaxRules` and how
they are judged against a regime). Tenants, catalog, invoicing and collections read the same CPF, the
same address and the same CST table; each used to find it in the technical kernel (`platform.brazil`),
and invoicing kept a second copy of the PIS/COFINS CSTs.

It is not a context: no repository, no keys, no API, no events. Like `platform` it ranks 0, and it may
use the kernel's money and text types (`platform.money`, `platform.text`); the kernel never imports it
(`tests/unit/test_architecture.py`).
"""

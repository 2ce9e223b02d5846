"""Reconciliation: bank statements (OFX, CNAB 240 retorno) imported once, their lines matched to charges
(settled through collections' payment path) or categorized, and the bank accounts they show."""

"""Collections: charges (boleto, Pix, card link), payments, fine and interest.

Other contexts use what this module defines (or the `charge.*` events), never the modules behind it.
The checks below are what the tenants context validates `settings.collections` with: the boleto
layouts and the Pix key formats are this context's knowledge. Each raises ValueError (pydantic's
validator convention) with a message for the field, and imports lazily to keep importers light.
"""

from __future__ import annotations


def check_bank_code(bank_code: str) -> str:
    """`collections.bank_code`: a bank the boleto layout table has a row for."""
    from chalicelib.collections.providers.local import settings_problems

    problem = settings_problems(bank_code).get("bank_code")
    if problem:
        raise ValueError(problem)
    return bank_code


def check_agreement(agreement: str, bank_code: str) -> str:
    """`collections.agreement`: a convênio that fits one of the bank's layout rows."""
    from chalicelib.collections.providers.local import settings_problems

    problem = settings_problems(bank_code, agreement).get("agreement")
    if problem:
        raise ValueError(problem)
    return agreement


def check_pix_key(key: str) -> str:
    """`collections.pix_key`: a key as the DICT writes it (the BR Code carries it verbatim)."""
    from chalicelib.collections.pix import pix_key_type

    if pix_key_type(key) is None:
        raise ValueError("must be a Pix key as the DICT writes it: a valid CPF (11 digits) or CNPJ (14 digits), "
                         "a lower-case e-mail, a phone as +55 and 10 or 11 digits, or a lower-case EVP uuid")
    return key

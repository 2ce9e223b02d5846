"""Chave de acesso of an NF-e: 44 digits, built, checked and taken apart. Kept a string throughout
(the alphanumeric CNPJ of IN RFB 2.229/2024 will put letters in it).

    cUF(2) AAMM(4) CNPJ(14) mod(2) serie(3) nNF(9) tpEmis(1) cNF(8) cDV(1)

cDV is modulo 11 over the first 43 digits, weights 2..9 cycling from the right; r = sum mod 11;
DV = 0 when r is 0 or 1, else 11 - r (MOC, "Cálculo do dígito verificador da chave de acesso").
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass

CHAVE_LENGTH = 44

# NT 2019.001: cNF may not equal nNF nor be one of these trivial sequences (rejeição 897).
_TRIVIAL_CNF = frozenset(
    {str(d) * 8 for d in range(10)}
    | {"12345678", "23456789", "34567890", "45678901", "56789012", "67890123", "78901234", "89012345",
       "90123456", "01234567"}
)


class InvalidChaveError(ValueError):
    """The string is not a well-formed chave de acesso (length, digits or check digit)."""


@dataclass(frozen=True)
class Chave:
    """The fields of a chave de acesso, as the strings they are in the key."""

    cuf: str
    aamm: str
    cnpj: str
    mod: str
    serie: str
    nnf: str
    tp_emis: str
    cnf: str
    cdv: str

    def __str__(self) -> str:
        return self.cuf + self.aamm + self.cnpj + self.mod + self.serie + self.nnf + self.tp_emis + self.cnf + self.cdv


def modulo11_dv(digits: str) -> str:
    """The check digit of the 43 first digits of a chave (weights 2..9 from the right)."""
    if not digits.isdigit():
        raise InvalidChaveError("the chave body must be digits only")
    total = 0
    for position, char in enumerate(reversed(digits)):
        total += int(char) * (2 + position % 8)
    remainder = total % 11
    return "0" if remainder in (0, 1) else str(11 - remainder)


def build_chave(*, cuf: str, aamm: str, cnpj: str, mod: str = "55", serie: int, nnf: int, tp_emis: str = "1",
                cnf: str) -> str:
    """The 44-digit chave for these fields, check digit included."""
    body = f"{cuf:0>2}{aamm}{cnpj:0>14}{mod:0>2}{serie:03d}{nnf:09d}{tp_emis}{cnf:0>8}"
    if len(body) != CHAVE_LENGTH - 1:
        raise InvalidChaveError(f"the chave body must have 43 digits, got {len(body)}")
    return body + modulo11_dv(body)


def is_valid_chave(chave: str) -> bool:
    """True for 44 digits whose last one is the modulo 11 of the others."""
    return len(chave) == CHAVE_LENGTH and chave.isdigit() and modulo11_dv(chave[:43]) == chave[43]


def parse_chave(chave: str) -> Chave:
    """Split a chave into its fields; raise InvalidChaveError if it is malformed or its DV is wrong."""
    chave = chave.strip()
    if chave.startswith("NFe"):
        chave = chave[3:]
    if len(chave) != CHAVE_LENGTH or not chave.isdigit():
        raise InvalidChaveError("a chave de acesso has 44 digits")
    expected = modulo11_dv(chave[:43])
    if chave[43] != expected:
        raise InvalidChaveError(f"wrong check digit: {chave[43]}, expected {expected}")
    return Chave(cuf=chave[0:2], aamm=chave[2:6], cnpj=chave[6:20], mod=chave[20:22], serie=chave[22:25],
                 nnf=chave[25:34], tp_emis=chave[34], cnf=chave[35:43], cdv=chave[43])


def is_acceptable_cnf(cnf: str, nnf: int) -> bool:
    """cNF is 8 digits, differs from nNF and is not a trivial sequence."""
    return len(cnf) == 8 and cnf.isdigit() and int(cnf) != nnf and cnf not in _TRIVIAL_CNF


def generate_cnf(nnf: int, rng: random.Random | None = None) -> str:
    """8 random digits for cNF, never equal to nNF nor trivial. Pass `rng` (seeded) for reproducible tests;
    the default draws from the OS's CSPRNG, since cNF is what keeps a chave from being guessed."""
    draw = rng or secrets.SystemRandom()
    while True:
        cnf = f"{draw.randrange(100_000_000):08d}"
        if is_acceptable_cnf(cnf, nnf):
            return cnf

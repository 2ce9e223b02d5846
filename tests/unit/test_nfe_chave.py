"""Chave de acesso: modulo 11 check digit, layout, parsing and cNF generation."""

from __future__ import annotations

import random

import pytest

from chalicelib.invoicing.chave import (
    InvalidChaveError,
    build_chave,
    generate_cnf,
    is_acceptable_cnf,
    is_valid_chave,
    modulo11_dv,
    parse_chave,
)

# Published chaves whose DV is known:
PUBLISHED = [
    # MOC (Manual de Orientação do Contribuinte), worked example of the DV calculation: sum 644, r 6, DV 5.
    "52060433009911002506550120000007800267301615",
    # NS Tecnologia, "Dígito Verificador da Chave de Acesso": 43-1712-07364617000135-55-000-000012014-1-00012014-6.
    "43171207364617000135550000000120141000120146",
    # Invoisys, "Como é formada a chave de acesso" (an NFC-e, same layout): ...-9-88725117-0.
    "13181017921427000125650010000000309887251170",
    # Mainô help center, "Como é formada a chave de acesso": 33-1503-08370779000149-55-001-000110093-1-00241077-5.
    "33150308370779000149550010001100931002410775",
    # Authorized NF-e shipped as nfelib's test samples (nfe/samples/v4_0/leiauteNFe).
    "41170706117473000150550010000463202612756525",
    "35180834128745000152550010000474281920007498",
    "26180875335849000115550010000016871192213331",
    "42210775277525000178550030000266631762885493",
]


@pytest.mark.parametrize("chave", PUBLISHED)
def test_the_check_digit_matches_published_chaves(chave: str) -> None:
    assert modulo11_dv(chave[:43]) == chave[43]
    assert is_valid_chave(chave)


def test_the_dv_is_zero_when_the_remainder_is_zero_or_one() -> None:
    # 13181017921427000125650010000000309887251170 has r = 1 (DV 0); search a body with r = 0 as well.
    body = "1318101792142700012565001000000030988725117"
    assert modulo11_dv(body) == "0"
    remainders = set()
    for n in range(2000):
        candidate = f"{n:043d}"
        total = sum(int(c) * (2 + i % 8) for i, c in enumerate(reversed(candidate)))
        remainders.add(total % 11)
        if total % 11 in (0, 1):
            assert modulo11_dv(candidate) == "0"
        else:
            assert modulo11_dv(candidate) == str(11 - total % 11)
    assert {0, 1} <= remainders


def test_a_wrong_check_digit_is_rejected() -> None:
    chave = PUBLISHED[0]
    wrong = chave[:43] + str((int(chave[43]) + 1) % 10)
    assert not is_valid_chave(wrong)
    with pytest.raises(InvalidChaveError, match="check digit"):
        parse_chave(wrong)


@pytest.mark.parametrize("bad", ["", "123", PUBLISHED[0][:-1], PUBLISHED[0] + "0", "A" + PUBLISHED[0][1:]])
def test_a_chave_is_44_digits(bad: str) -> None:
    assert not is_valid_chave(bad)
    with pytest.raises(InvalidChaveError):
        parse_chave(bad)


def test_a_built_chave_parses_back_into_its_fields() -> None:
    chave = build_chave(cuf="35", aamm="2611", cnpj="11222333000181", serie=1, nnf=42, tp_emis="1", cnf="52063812")
    assert len(chave) == 44 and is_valid_chave(chave)
    parts = parse_chave(chave)
    assert (parts.cuf, parts.aamm, parts.cnpj, parts.mod, parts.serie, parts.nnf, parts.tp_emis, parts.cnf) == (
        "35", "2611", "11222333000181", "55", "001", "000000042", "1", "52063812")
    assert str(parts) == chave


def test_parse_accepts_the_infnfe_id_form() -> None:
    assert str(parse_chave("NFe" + PUBLISHED[3])) == PUBLISHED[3]


def test_the_published_sample_splits_as_the_manual_says() -> None:
    parts = parse_chave("41170706117473000150550010000463202612756525")
    assert parts.cuf == "41" and parts.aamm == "1707" and parts.cnpj == "06117473000150"
    assert parts.serie == "001" and parts.nnf == "000046320" and parts.cnf == "61275652" and parts.cdv == "5"


def test_cnf_is_eight_digits_and_reproducible_with_a_seed() -> None:
    first = generate_cnf(42, random.Random(7))
    assert first == generate_cnf(42, random.Random(7))
    assert len(first) == 8 and first.isdigit()
    assert all(is_acceptable_cnf(generate_cnf(nnf), nnf) for nnf in range(1, 200))  # the OS RNG path


def test_cnf_never_equals_nnf_nor_a_trivial_sequence() -> None:
    class Scripted(random.Random):
        def __init__(self, values: list[int]) -> None:
            super().__init__()
            self.values = values

        def randrange(self, *args: object, **kwargs: object) -> int:  # type: ignore[override]
            return self.values.pop(0)

    assert generate_cnf(12345, Scripted([12345, 0, 11111111, 12345678, 98765])) == "00098765"
    assert not is_acceptable_cnf("00000042", 42)
    assert not is_acceptable_cnf("12345678", 1)
    assert is_acceptable_cnf("52063812", 42)

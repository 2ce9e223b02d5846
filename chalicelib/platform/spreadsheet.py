"""CSV as a pt-BR spreadsheet opens it cleanly: `;`-separated (the comma is the decimal mark), CRLF lines,
UTF-8 with a BOM (so Excel reads accents), amounts in reais with a decimal comma, dates dd/mm/yyyy."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any


def dd_mm_yyyy(value: date | str) -> str:
    return (date.fromisoformat(value) if isinstance(value, str) else value).strftime("%d/%m/%Y")


def pt_br_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()

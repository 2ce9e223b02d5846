"""Validate NF-e documents against the official XSDs that ship inside nfelib (`nfe/schemas/v4_0/`).

Each schema is compiled once per process (tens of milliseconds of lxml work, see bench/bench_nfe.py) and
reused; a Lambda runs one event at a time, so sharing the compiled XMLSchema is safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import nfelib
from lxml import etree

SCHEMA_DIR = Path(nfelib.__file__).parent / "nfe" / "schemas" / "v4_0"
NFE_XSD = "nfe_v4.00.xsd"
PROC_NFE_XSD = "procNFe_v4.00.xsd"

@dataclass(frozen=True)
class SchemaError:
    """One XSD violation: the line in the validated document and lxml's message."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@cache
def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / name)))


def load_schemas() -> None:
    """Compile both schemas now (call at cold start to keep the first NF-e fast)."""
    _schema(NFE_XSD)
    _schema(PROC_NFE_XSD)


def _validate(xml: bytes | etree._Element, name: str) -> list[SchemaError]:
    if isinstance(xml, bytes | bytearray):
        try:
            root = etree.fromstring(xml)
        except etree.XMLSyntaxError as exc:
            return [SchemaError(exc.lineno or 0, f"not well-formed XML: {exc.msg}")]
    else:
        root = xml
    schema = _schema(name)
    if schema.validate(root):
        return []
    return [SchemaError(e.line, e.message) for e in schema.error_log]


def validate_nfe(xml: bytes | etree._Element) -> list[SchemaError]:
    """Errors of a signed `NFe` against nfe_v4.00.xsd (empty when valid). The XSD requires the Signature."""
    return _validate(xml, NFE_XSD)


def validate_nfe_proc(xml: bytes | etree._Element) -> list[SchemaError]:
    """Errors of an `nfeProc` (NFe + protNFe) against procNFe_v4.00.xsd (empty when valid)."""
    return _validate(xml, PROC_NFE_XSD)

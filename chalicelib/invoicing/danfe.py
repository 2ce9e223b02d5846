"""The DANFE (PDF companion of an authorized NF-e), drawn by brazilfiscalreport."""

from __future__ import annotations


def render_danfe(nfe_proc: bytes, cancelled: bool = False) -> bytes:
    """The DANFE of an nfeProc; the key is drawn as a Code 128C barcode by the library. A cancelled
    NF-e's DANFE carries the "CANCELADA" watermark."""
    from brazilfiscalreport.danfe import Danfe, DanfeConfig

    # Our XML is restricted to what the NF-e XSD allows (Latin-1), which cp1252 covers: no
    # character can crash the library's core fonts.
    pdf = Danfe(xml=nfe_proc.decode("utf-8"), config=DanfeConfig(watermark_cancelled=cancelled))
    return bytes(pdf.output())

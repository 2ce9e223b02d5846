"""What free text and e-mail addresses the edge accepts (patterns and types; nothing Brazilian about them)."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

# Free text that ends up in fiscal documents and e-mails: no control characters.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
# Free text that may run over lines (notes, reasons): no control characters but line breaks and tabs.
MULTILINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]

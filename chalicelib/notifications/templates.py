"""The pt-BR message templates: Jinja2, a text part and (for email) an HTML part per template.

`templates/<name>.txt.j2` is the text part; its first line is the subject, then a blank line, then the
body (the shape of a commit message). `templates/<name>.html.j2`, when it exists, is the HTML part, with
autoescaping on: a customer named `<script>` stays text. WhatsApp and SMS send the text body only.
Rendering is pure: the same context gives the same message.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from chalicelib.brazil.documents import format_document
from chalicelib.collections.boleto import format_linha
from chalicelib.platform.clock import SAO_PAULO
from chalicelib.platform.money import format_brl

FOLDER = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


def date_br(value: Any) -> str:
    """dd/mm/aaaa of a date, or of an RFC 3339 instant in São Paulo's time."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(SAO_PAULO).date() if value.tzinfo else value.date()
    return f"{value:%d/%m/%Y}"


def access_key(digits: str | None) -> str:
    """The NF-e access key in groups of four, as the DANFE prints it."""
    digits = digits or ""
    return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))


def _environment(autoescape: bool) -> Environment:
    env = Environment(loader=FileSystemLoader(str(FOLDER)), autoescape=autoescape, undefined=StrictUndefined,
                      keep_trailing_newline=True, trim_blocks=False)
    env.filters.update(brl=format_brl, date_br=date_br, document=format_document, linha=format_linha,
                       access_key=access_key)
    return env


@functools.cache
def _text_env() -> Environment:
    return _environment(autoescape=False)


@functools.cache
def _html_env() -> Environment:
    return _environment(autoescape=True)


def names() -> list[str]:
    """Every template a message can name (the files' stems; partials start with `_`)."""
    return sorted(p.name.removesuffix(".txt.j2") for p in FOLDER.glob("*.txt.j2") if not p.name.startswith("_"))


def render(name: str, context: dict[str, Any], *, html: bool = True) -> Rendered:
    """The subject, text and (when `html` and the template has one) HTML of template `name`."""
    text = _text_env().get_template(f"{name}.txt.j2").render(context)
    subject, _, body = text.partition("\n")
    page = None
    if html:
        try:
            page = _html_env().get_template(f"{name}.html.j2").render(context)
        except TemplateNotFound:
            page = None
    return Rendered(subject=" ".join(subject.split()), text=_tidy(body), html=page)


def _tidy(body: str) -> str:
    """The body without the blank lines conditionals leave behind (never more than one in a row)."""
    lines = [line.rstrip() for line in body.strip("\n").splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy).strip() + "\n"

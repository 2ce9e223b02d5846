"""Dunning (régua de cobrança): the policy's steps, the daily run that sends them, and what it sent.

Other contexts use what this module defines (or the `dunning.*` events), never the modules behind it.
`check_template` is what the tenants context validates a policy step's template with: the catalogue of
built-in templates is this context's knowledge.
"""

from __future__ import annotations


def check_template(template: str) -> str:
    """`dunning.steps[].template`: one of the built-in templates."""
    from chalicelib.dunning.model import TEMPLATES

    if template not in TEMPLATES:
        raise ValueError(f"is not a built-in template; one of {', '.join(TEMPLATES)} (GET /v1/dunning-templates)")
    return template

"""The dunning context's pure rules: the template catalogue, and (with the run) which steps fall due."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    use: str  # when the step is meant to run


# The built-in pt-BR templates a step may name; their text lives with the other message templates
# (notifications/templates/<name>.txt.j2 and .html.j2), rendered for the charges the step covers.
TEMPLATES: dict[str, Template] = {t.name: t for t in (
    Template("upcoming", "Lembrete de vencimento", "before the due date (a friendly reminder)"),
    Template("due_today", "Vence hoje", "on the due date"),
    Template("overdue", "Pagamento em atraso", "the first days after the due date"),
    Template("overdue_reminder", "Lembrete de atraso", "the reminders that follow"),
    Template("final_notice", "Último aviso", "the last step, before other collection measures"),
)}

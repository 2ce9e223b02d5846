"""Payables (contas a pagar): bills from supplier invoices and boletos, paid on schedule, settled once."""

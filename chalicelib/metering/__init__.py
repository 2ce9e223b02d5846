"""Metering: what a bill is computed from, per tenant and month (America/Sao_Paulo).

API calls are counted by the HTTP edge (the hook app.py registers); orders, invoices and charges by
this context's consumer from their events (once per event); notifications and stored documents by the
contexts that send or store them, through the `meter` port their deps carry. Each count is an atomic
ADD on one item per month. The most downstream context: it reads everyone's events, nobody imports it.
"""

"""Purchasing: purchase orders and the supplier's NF-e taken in (and, on acceptance, turned into stock, payables and books)."""

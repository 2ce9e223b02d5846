"""Reports: projections kept by event consumers (per tenant and day, per product and day, per customer and
day), so a report reads its period, never the history."""

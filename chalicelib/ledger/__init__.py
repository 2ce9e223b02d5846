"""Ledger: the tenant's books in double entry. A default Brazilian SMB chart of accounts, the journal
posted from the platform's events exactly once per event (sales, shipments, payments, cancellations),
manual entries, the trial balance as of any date and the journal exported for the accountant."""

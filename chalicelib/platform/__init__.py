"""Shared kernel: configuration, errors, auth, storage, events. No business rules."""

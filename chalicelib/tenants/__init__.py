"""Tenants: the client companies, their settings and their API keys.

Other contexts read a tenant through the `tenant` port the composition root hands them.
"""

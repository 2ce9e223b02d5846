"""Retaguarda: a serverless, multi-tenant backoffice API."""

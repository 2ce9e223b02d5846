"""Outbound webhooks (issue 17): deliveries signed by the Standard Webhooks specification."""

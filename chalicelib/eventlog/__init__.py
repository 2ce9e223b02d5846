"""Events and outbound webhooks: the tenant's event log, and (later) its deliveries."""

"""The one definition of the infrastructure the code relies on.

`local/` creates these resources in DynamoDB Local and moto's server; `infra/` declares
them in CDK. Names here are logical: the deployed name comes from the stage's settings.
Pure data: no boto3, no CDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TABLE_KEY = (("pk", "S"), ("sk", "S"))
TTL_ATTRIBUTE = "expires_at"
OUTBOX_SK_PREFIX = "EVT#"
EVERY_EVENT = "*"
# Commands the platform sends itself through the bus: not the tenant's business, so no webhook carries them.
INTERNAL_EVENTS = ("dunning.run_requested",)


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str


TABLE_INDEXES = (
    Index("gsi1", "gsi1pk", "gsi1sk"),
    # Keyed by due date, so the daily dunning run reads only the charges due that day.
    Index("gsi2", "gsi2pk", "gsi2sk"),
)


@dataclass(frozen=True)
class Consumer:
    """An SQS queue fed by a bus rule, drained by one handler (Lambda function): the one declaration
    app.py's function, the local runner and infra/ are made from. `module` holds `handle(event, deps)` and
    its `HANDLERS` table, whose event types are `event_types` (tests/unit/test_consumers.py ties them);
    `event_types` ("*",) is every event but the `excluded_types`; `deps` names the composition root's field
    it is given (None: none)."""

    name: str
    handler: str  # the `app.lambda_function` name that consumes the queue
    event_types: tuple[str, ...]
    module: str
    deps: str | None
    description: str
    batch_size: int = 10
    max_receive_count: int = 5
    visibility_timeout_seconds: int = 60
    excluded_types: tuple[str, ...] = ()

    @property
    def queue_name(self) -> str:
        return f"retaguarda-{self.name}"

    @property
    def dlq_name(self) -> str:
        return f"retaguarda-{self.name}-dlq"

    def event_pattern(self, source: str) -> dict[str, Any]:
        if self.event_types == (EVERY_EVENT,):
            return {"source": [source], "detail-type": [{"anything-but": list(self.excluded_types)}]}
        return {"source": [source], "detail-type": list(self.event_types)}


@dataclass(frozen=True)
class Schedule:
    """A handler fired on a clock (EventBridge Scheduler / rules in AWS; the local runner here)."""

    name: str
    handler: str
    cron: str  # EventBridge cron fields, UTC, without "cron(...)": "5 3 * * ? *"
    every_seconds_locally: int
    module: str  # holds `function(deps)`, which answers the invocation's result
    function: str
    deps: str | None
    description: str


@dataclass(frozen=True)
class Definitions:
    publisher_handler: str = "publish_events"
    consumers: tuple[Consumer, ...] = field(default_factory=tuple)
    schedules: tuple[Schedule, ...] = field(default_factory=tuple)
    stream_filter: dict[str, Any] = field(default_factory=lambda: {
        "eventName": ["INSERT"],
        "dynamodb": {"Keys": {"sk": {"S": [{"prefix": OUTBOX_SK_PREFIX}]}}},
    })


DEFINITIONS = Definitions(
    consumers=(
        Consumer(
            name="notifications",
            handler="notifications_consumer",
            event_types=("tenant.created", "api_key.created", "api_key.revoked", "invoice.authorized",
                         "charge.created"),
            module="chalicelib.notifications.handlers", deps="notifications",
            description="SQS notifications queue → emails to the tenant and to its customers (NF-e, charges).",
        ),
        Consumer(
            name="invoicing",
            handler="invoicing_consumer",
            event_types=("order.confirmed", "order.cancelled"),
            module="chalicelib.invoicing.handlers", deps="invoicing",
            description="SQS invoicing queue → NF-e emitted for confirmed orders, cancelled for cancelled ones.",
            batch_size=1,
            max_receive_count=8,
            visibility_timeout_seconds=120,
        ),
        Consumer(
            name="orders",
            handler="orders_consumer",
            event_types=("invoice.authorized", "invoice.rejected", "invoice.cancelled", "charge.created",
                         "charge.paid", "charge.overdue", "charge.cancelled", "charge.payment_unapplied"),
            module="chalicelib.orders.handlers", deps="orders",
            description="SQS orders queue → invoices and charges reflected on their orders.",
        ),
        Consumer(
            name="metering",
            handler="metering_consumer",
            event_types=("order.confirmed", "invoice.authorized", "charge.created"),
            module="chalicelib.metering.handlers", deps="metering",
            description="SQS metering queue → monthly usage counters.",
        ),
        Consumer(
            name="collections",
            handler="collections_consumer",
            event_types=("order.confirmed", "invoice.authorized", "order.cancelled"),
            module="chalicelib.collections.handlers", deps="collections",
            description="SQS collections queue → an order's charges created (or cancelled).",
            batch_size=1,
        ),
        Consumer(
            name="dunning",
            handler="dunning_consumer",
            event_types=("dunning.run_requested",),
            module="chalicelib.dunning.handlers", deps="dunning",
            description="SQS dunning queue → one tenant's daily run of its régua (once per tenant and day).",
            batch_size=1,
            visibility_timeout_seconds=900,
        ),
        Consumer(
            name="ledger",
            handler="ledger_consumer",
            event_types=("invoice.authorized", "invoice.cancelled", "order.shipped", "charge.created",
                         "charge.paid", "charge.cancelled", "charge.payment_unapplied", "bank_transaction.matched",
                         "bank_statement.imported", "payable.created", "payable.paid", "payable.cancelled",
                         "inbound_invoice.accepted"),
            module="chalicelib.ledger.handlers", deps="ledger",
            description="SQS ledger queue → the books: sales, shipments, payments, cancellations and the bank "
                        "statements' lines, once each.",
        ),
        Consumer(
            name="purchasing",
            handler="purchasing_consumer",
            event_types=("inbound_invoice.accepted",),
            module="chalicelib.purchasing.handlers", deps="purchasing",
            description="SQS purchasing queue → an accepted supplier NF-e's steps, each once: stock receipts, "
                        "payables, the purchase order, what was learned of the supplier's codes, the MD-e "
                        "confirmation.",
        ),
        Consumer(
            name="reports",
            handler="reports_consumer",
            event_types=("order.confirmed", "order.cancelled"),
            module="chalicelib.reports.handlers", deps="reports",
            description="SQS reports queue → the report projections (sales per day, product and customer), each "
                        "event applied once.",
        ),
        Consumer(
            name="webhooks",
            handler="webhooks_consumer",
            event_types=(EVERY_EVENT,),
            excluded_types=INTERNAL_EVENTS,
            module="chalicelib.webhooks.handlers", deps="webhooks",
            description="SQS webhooks queue → every event fanned out to the tenant's endpoints (one delivery "
                        "each), and the deliveries' attempts, retried with backoff through the queue's delay.",
            # Attempts of a batch run side by side, each at most 10 s.
            batch_size=10,
            max_receive_count=5,
            visibility_timeout_seconds=120,
        ),
        Consumer(
            name="reconciliation",
            handler="reconciliation_consumer",
            event_types=("bank_transaction.matched",),
            module="chalicelib.reconciliation.handlers", deps="reconciliation",
            description="SQS reconciliation queue → the charge a matched statement line pays, settled once.",
        ),
    ),
    schedules=(
        # 03:05 UTC = 00:05 in São Paulo: the day's late charges become overdue.
        Schedule(name="charges-overdue", handler="charges_overdue", cron="5 3 * * ? *",
                 every_seconds_locally=300, module="chalicelib.collections.handlers", function="run_overdue",
                 deps="collections",
                 description="Daily: open charges past their due date (moved to the next business day) become overdue."),
        # 11:00 UTC = 08:00 in São Paulo: reminders arrive in the morning, after the night's overdue marking.
        Schedule(name="dunning-daily", handler="dunning_schedule", cron="0 11 * * ? *",
                 every_seconds_locally=300, module="chalicelib.dunning.handlers", function="run_schedule",
                 deps="dunning",
                 description="Daily: one dunning run asked for each tenant (its queue runs it once per day)."),
        # Hourly: each tenant's DF-e inbox, when its cursor allows (NT 2014.002's hour after nothing new).
        Schedule(name="dfe-hourly", handler="dfe_hourly", cron="17 * * * ? *",
                 every_seconds_locally=300, module="chalicelib.purchasing.handlers", function="run_hourly",
                 deps="purchasing",
                 description="Hourly: the documents addressed to each tenant fetched from the fiscal authority's "
                             "distribution (summaries get the ciência, full NF-e are taken in)."),
        # Every 5 minutes: the deliveries whose next attempt is further away than SQS can delay a message.
        Schedule(name="webhooks-sweep", handler="webhooks_sweep", cron="0/5 * * * ? *",
                 every_seconds_locally=10, module="chalicelib.webhooks.handlers", function="run_sweep",
                 deps="webhooks",
                 description="Every 5 minutes: webhook deliveries due in the next minutes put back on their queue."),
        # 09:00 UTC = 06:00 in São Paulo: the day's bills go out before the banks' cut-offs.
        Schedule(name="payables-daily", handler="payables_daily", cron="0 9 * * ? *",
                 every_seconds_locally=300, module="chalicelib.payables.handlers", function="run_daily",
                 deps="payables",
                 description="Daily: late bills become overdue; the local provider pays the bills scheduled for the day."),
    ),
)


def table_definition(table_name: str) -> dict[str, Any]:
    """CreateTable arguments (boto3 shape) for the single table."""
    attributes = dict(TABLE_KEY)
    for index in TABLE_INDEXES:
        attributes[index.hash_key] = "S"
        attributes[index.range_key] = "S"
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index.name,
                "KeySchema": [{"AttributeName": index.hash_key, "KeyType": "HASH"},
                              {"AttributeName": index.range_key, "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in TABLE_INDEXES
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    }

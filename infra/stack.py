"""The Retaguarda stack: Chalice's functions and API, and everything around them.

Every resource the code relies on comes from `chalicelib.platform.resources` (the module
`make run` provisions locally from) and `chalicelib.platform.gateway`; nothing is named twice.

Chalice declares the functions and the REST API (as SAM). This stack adds what Chalice cannot:
the table, the custom bus and its rules, the queues (+DLQs, alarms), the event source mappings
with ReportBatchItemFailures (and the stream filter), schedules, the documents bucket, secrets,
usage plans, gateway responses, log groups, and one hand-written IAM role per function.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from chalice.utils import to_cfn_resource_name
from constructs import Construct

from chalicelib.platform.gateway import GATEWAY_HEADERS, GATEWAY_RESPONSES, problem_body
from chalicelib.platform.resources import (
    DEFINITIONS,
    TABLE_INDEXES,
    TTL_ATTRIBUTE,
    Consumer,
    Definitions,
    Schedule,
    table_definition,
)
from infra.chalice_app import ChaliceApp
from infra.settings import (
    API_SIZE,
    AUTHORIZER_SIZE,
    DOCUMENT_RETENTION_DAYS,
    EMAIL_SENDING_CONSUMERS,
    EVENT_SOURCE,
    NONCURRENT_VERSION_DAYS,
    PUBLISHER_SIZE,
    SCHEDULE_SIZE,
    TIERS,
    WORKER_SIZE,
    FunctionSize,
    StageSettings,
)

API_FUNCTION = "APIHandler"
REST_API = "RestAPI"
PROBLEM_JSON = "application/problem+json"
# Chalice needs a role ARN when it does not manage roles; every function's Role is then
# replaced by its own role below, and the stack refuses to synthesize if one is left.
PLACEHOLDER_ROLE = "arn:aws:iam::000000000000:role/replaced-by-infra"

TABLE_ITEM_READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"]
# TransactWriteItems / TransactGetItems are authorized as their item actions (+ ConditionCheckItem).
TABLE_ITEM_WRITE = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]
STREAM_READ = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
QUEUE_CONSUME = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
SECRET_READ = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
# Tenants' A1 certificates: uploaded, or generated for homologação on the first emission.
SECRET_WRITE = ["secretsmanager:CreateSecret", "secretsmanager:PutSecretValue"]
BUCKET_OBJECTS = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]


@dataclass
class Function:
    """One Chalice function as this stack sees it."""

    logical_id: str
    kind: str  # api | authorizer | publisher | consumer | schedule | worker
    size: FunctionSize
    resource: cdk.CfnResource
    role: iam.Role
    log_group: logs.CfnLogGroup

    @property
    def name_ref(self) -> str:
        return self.resource.ref

    @property
    def arn(self) -> str:
        return self.resource.get_att("Arn").to_string()


class RetaguardaStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings, project_dir: Path,
                 work_dir: Path, definitions: Definitions = DEFINITIONS, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.definitions = definitions
        removal = cdk.RemovalPolicy.RETAIN if settings.retain_data else cdk.RemovalPolicy.DESTROY

        self.table = self._table(removal)
        self.bus = events.EventBus(self, "Bus", event_bus_name=settings.prefix)
        self.bucket = self._documents_bucket(removal)
        self.admin_key = self._generated_secret("AdminApiKey", "admin-api-key", removal)
        self.cursor_secret = self._generated_secret("CursorSecret", "cursor-secret", removal)
        # Webhook endpoint secrets are sealed under data keys this key wraps (chalicelib/webhooks/secrets.py).
        self.webhooks_key = kms.Key(self, "WebhookSecretsKey", enable_key_rotation=True, removal_policy=removal,
                                    description=f"Retaguarda {settings.name}: wraps the webhook secrets' data keys")
        self.alarm_topic = sns.Topic(self, "Alarms", topic_name=f"{settings.prefix}-alarms")
        if settings.alarm_email:
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(settings.alarm_email))

        self.chalice = ChaliceApp(self, "Chalice", project_dir=project_dir, work_dir=work_dir,
                                  stage_config=self._chalice_config())
        self.functions = self._functions()
        self.queues: dict[str, tuple[sqs.Queue, sqs.Queue]] = {}
        for consumer in definitions.consumers:
            self._consumer(consumer)
        self._publisher()
        for schedule in definitions.schedules:
            self._schedule(schedule)
        self._grant_common()
        self._grant_webhooks()
        self._api_gateway()
        self._outputs()

    # -- data -------------------------------------------------------------------------------
    def _table(self, removal: cdk.RemovalPolicy) -> dynamodb.Table:
        definition = table_definition(f"{self.settings.prefix}")
        types = {a["AttributeName"]: dynamodb.AttributeType(_ATTRIBUTE_TYPES[a["AttributeType"]])
                 for a in definition["AttributeDefinitions"]}
        keys = {k["KeyType"]: k["AttributeName"] for k in definition["KeySchema"]}
        table = dynamodb.Table(
            self, "Table",
            table_name=definition["TableName"],
            partition_key=dynamodb.Attribute(name=keys["HASH"], type=types[keys["HASH"]]),
            sort_key=dynamodb.Attribute(name=keys["RANGE"], type=types[keys["RANGE"]]),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            stream=dynamodb.StreamViewType(definition["StreamSpecification"]["StreamViewType"]),
            time_to_live_attribute=TTL_ATTRIBUTE,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            deletion_protection=self.settings.retain_data,
            removal_policy=removal,
        )
        for index in TABLE_INDEXES:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=dynamodb.Attribute(name=index.hash_key, type=types[index.hash_key]),
                sort_key=dynamodb.Attribute(name=index.range_key, type=types[index.range_key]),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table

    def _documents_bucket(self, removal: cdk.RemovalPolicy) -> s3.Bucket:
        return s3.Bucket(
            self, "Documents",
            encryption=s3.BucketEncryption.S3_MANAGED,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(
                id="fiscal-retention",
                expiration=cdk.Duration.days(DOCUMENT_RETENTION_DAYS),
                noncurrent_version_expiration=cdk.Duration.days(NONCURRENT_VERSION_DAYS),
                abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
                transitions=[s3.Transition(storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                                           transition_after=cdk.Duration.days(365))],
            )],
            removal_policy=removal,
        )

    def _generated_secret(self, construct_id: str, name: str, removal: cdk.RemovalPolicy) -> secretsmanager.Secret:
        return secretsmanager.Secret(
            self, construct_id,
            secret_name=f"{self.settings.secrets_prefix}{name}",
            description=f"Retaguarda {self.settings.name}: {name} (generated; read by the functions at deploy time)",
            generate_secret_string=secretsmanager.SecretStringGenerator(exclude_punctuation=True, password_length=48),
            removal_policy=removal,
        )

    # -- functions --------------------------------------------------------------------------
    def _chalice_config(self) -> dict[str, Any]:
        """Chalice stage config. Values may be CDK tokens: Chalice writes them into the SAM
        template and CfnInclude resolves them again."""
        return {
            "api_gateway_stage": "api",
            # Dependencies go to a layer of their own, rebuilt only when requirements.txt changes:
            # a code change re-packages (and re-deploys) only the small app zip.
            "automatic_layer": True,
            "autogen_policy": False,
            "manage_iam_role": False,
            "iam_role_arn": PLACEHOLDER_ROLE,
            "environment_variables": self.environment(),
        }

    def environment(self) -> dict[str, str]:
        """Every function gets every setting: a missing one would fall back to a local default."""
        return {
            "RETAGUARDA_STAGE": self.settings.name,
            "TABLE_NAME": self.table.table_name,
            "EVENT_BUS_NAME": self.bus.event_bus_name,
            "DOCUMENTS_BUCKET": self.bucket.bucket_name,
            # CloudFormation dynamic references ({{resolve:secretsmanager:...}}): the template
            # holds a reference, never the value; CloudFormation resolves it at deploy time.
            "ADMIN_API_KEY": self.admin_key.secret_value.unsafe_unwrap(),
            "CURSOR_SECRET": self.cursor_secret.secret_value.unsafe_unwrap(),
            "SECRETS_VERSION": self.settings.secrets_version,  # bump to re-resolve the two above
            "NOTIFICATIONS_SENDER": self.settings.notifications_sender,
            "SANDBOX_ENABLED": "false" if self.settings.name == "prod" else "true",
            "WEBHOOKS_KMS_KEY_ID": self.webhooks_key.key_arn,
            **self._webhooks_queue_url(),
            "POWERTOOLS_SERVICE_NAME": "retaguarda",
            "POWERTOOLS_METRICS_NAMESPACE": "Retaguarda",
            **({"PUBLIC_API_URL": self.settings.public_api_url} if self.settings.public_api_url else
               {"PUBLIC_API_URL_PARAMETER": self.settings.public_api_url_parameter}),
        }

    def _functions(self) -> dict[str, Function]:
        declared = self.chalice.functions()
        authorizers = self.chalice.authorizer_functions()
        kinds: dict[str, tuple[str, FunctionSize]] = {}
        for logical_id in declared:
            kinds[logical_id] = ("authorizer", AUTHORIZER_SIZE) if logical_id in authorizers else ("worker", WORKER_SIZE)
        if API_FUNCTION in declared:
            kinds[API_FUNCTION] = ("api", API_SIZE)
        kinds[self._logical_id(self.definitions.publisher_handler)] = ("publisher", PUBLISHER_SIZE)
        for consumer in self.definitions.consumers:
            # The function must finish well within the queue's visibility timeout.
            timeout = max(1, consumer.visibility_timeout_seconds // 2)
            kinds[self._logical_id(consumer.handler)] = ("consumer", FunctionSize(WORKER_SIZE.memory_mb, timeout))
        for schedule in self.definitions.schedules:
            kinds[self._logical_id(schedule.handler)] = ("schedule", SCHEDULE_SIZE)

        functions: dict[str, Function] = {}
        for logical_id, (kind, size) in kinds.items():
            if logical_id not in declared:
                raise ValueError(f"{logical_id}: no such function in app.py; every handler named in "
                                 "chalicelib/platform/resources.py must be an @app.lambda_function")
            resource = self.chalice.get_resource(logical_id)
            role = iam.Role(self, f"{logical_id}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                            description=f"Retaguarda {self.settings.name} {kind} function {logical_id}")
            resource.add_property_override("Role", role.role_arn)
            resource.add_property_override("MemorySize", size.memory_mb)
            resource.add_property_override("Timeout", size.timeout_seconds)
            log_group = logs.CfnLogGroup(self, f"{logical_id}Logs",
                                         log_group_name=cdk.Fn.join("", ["/aws/lambda/", resource.ref]),
                                         retention_in_days=self.settings.log_retention_days)
            # Its ARN attribute ends in ':*', which covers the group's streams.
            role.add_to_policy(iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                                                   resources=[log_group.attr_arn]))
            functions[logical_id] = Function(logical_id, kind, size, resource, role, log_group)
        return functions

    def _logical_id(self, handler: str) -> str:
        return to_cfn_resource_name(handler)

    def function(self, handler: str) -> Function:
        return self.functions[self._logical_id(handler)]

    def _webhooks_consumer(self) -> Consumer | None:
        return next((c for c in self.definitions.consumers if c.name == "webhooks"), None)

    def _webhooks_queue_url(self) -> dict[str, str]:
        """The webhooks context puts its own messages (attempts due, replays) on its queue: the URL follows
        from the queue's name, so the functions need no reference to a queue made after them."""
        consumer = self._webhooks_consumer()
        if consumer is None:
            return {}
        return {"WEBHOOKS_QUEUE_URL": f"https://sqs.{self.region}.{self.url_suffix}/{self.account}/"
                                      f"{consumer.queue_name}-{self.settings.name}"}

    def _grant_webhooks(self) -> None:
        """The API (endpoints, retries, replays), the webhooks consumer and its sweep seal and open secrets
        and put messages on the webhooks queue; nobody else does."""
        consumer = self._webhooks_consumer()
        if consumer is None:
            return
        queue, _ = self.queues[consumer.name]
        handlers = [consumer.handler,
                    *(s.handler for s in self.definitions.schedules if s.deps == "webhooks")]
        for logical_id in (API_FUNCTION, *(self._logical_id(h) for h in handlers)):
            function = self.functions[logical_id]
            function.role.add_to_policy(iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"],
                                                            resources=[self.webhooks_key.key_arn]))
            function.role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[queue.queue_arn]))

    def _grant_common(self) -> None:
        """Data rights: read-only for authorizers, read-write for everything else."""
        table_resources = [self.table.table_arn, f"{self.table.table_arn}/index/*"]
        for function in self.functions.values():
            role = function.role
            actions = TABLE_ITEM_READ if function.kind == "authorizer" else TABLE_ITEM_READ + TABLE_ITEM_WRITE
            role.add_to_policy(iam.PolicyStatement(actions=actions, resources=table_resources))
            if function.kind == "authorizer":
                role.add_to_policy(iam.PolicyStatement(actions=SECRET_READ, resources=[self.admin_key.secret_arn]))
                continue
            role.add_to_policy(iam.PolicyStatement(actions=BUCKET_OBJECTS, resources=[self.bucket.arn_for_objects("*")]))
            role.add_to_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn]))
            # Certificates (A1 e-CNPJ etc.) and generated secrets live under retaguarda/<stage>/.
            role.add_to_policy(iam.PolicyStatement(actions=SECRET_READ, resources=[self.stack_secret_arn_pattern()]))
            role.add_to_policy(iam.PolicyStatement(actions=SECRET_WRITE,
                                                   resources=[self.stack_secret_arn_pattern("ten_")]))
            if not self.settings.public_api_url:
                role.add_to_policy(iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[self.format_arn(
                    service="ssm", resource="parameter", resource_name=self.settings.public_api_url_parameter[1:])]))

    def stack_secret_arn_pattern(self, under: str = "") -> str:
        return self.format_arn(service="secretsmanager", resource="secret",
                               resource_name=f"{self.settings.secrets_prefix}{under}*",
                               arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)

    # -- events -----------------------------------------------------------------------------
    def _consumer(self, consumer: Consumer) -> None:
        cid = to_cfn_resource_name(consumer.name)
        dlq = sqs.Queue(self, f"{cid}Dlq", queue_name=f"{consumer.dlq_name}-{self.settings.name}",
                        retention_period=cdk.Duration.days(14), encryption=sqs.QueueEncryption.SQS_MANAGED,
                        enforce_ssl=True)
        queue = sqs.Queue(
            self, f"{cid}Queue", queue_name=f"{consumer.queue_name}-{self.settings.name}",
            visibility_timeout=cdk.Duration.seconds(consumer.visibility_timeout_seconds),
            retention_period=cdk.Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=consumer.max_receive_count, queue=dlq),
            encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
        )
        rule = events.CfnRule(
            self, f"{cid}Rule",
            name=f"{self.settings.prefix}-{consumer.name}",
            description=f"{', '.join(consumer.event_types)} -> {consumer.queue_name}",
            event_bus_name=self.bus.event_bus_name,
            event_pattern=consumer.event_pattern(EVENT_SOURCE),
            state="ENABLED",
            targets=[events.CfnRule.TargetProperty(
                id="queue", arn=queue.queue_arn,
                # Events the bus cannot deliver land in the same DLQ as those the consumer fails.
                dead_letter_config=events.CfnRule.DeadLetterConfigProperty(arn=dlq.queue_arn),
                retry_policy=events.CfnRule.RetryPolicyProperty(maximum_event_age_in_seconds=86_400,
                                                                maximum_retry_attempts=185),
            )],
        )
        for target in (queue, dlq):
            target.add_to_resource_policy(iam.PolicyStatement(
                principals=[iam.ServicePrincipal("events.amazonaws.com")], actions=["sqs:SendMessage"],
                resources=[target.queue_arn], conditions={"ArnEquals": {"aws:SourceArn": rule.attr_arn}}))
        self._dlq_alarm(f"{cid}DlqAlarm", dlq, f"{self.settings.prefix}-{consumer.name}-dlq")

        function = self.function(consumer.handler)
        function.role.add_to_policy(iam.PolicyStatement(actions=QUEUE_CONSUME, resources=[queue.queue_arn]))
        if consumer.name in EMAIL_SENDING_CONSUMERS:  # and only from the stage's sender
            function.role.add_to_policy(iam.PolicyStatement(
                actions=["ses:SendEmail", "ses:SendRawEmail"],
                resources=[self.format_arn(service="ses", resource="identity", resource_name="*")],
                conditions={"StringEquals": {"ses:FromAddress": self.settings.notifications_sender}}))
        mapping = lambda_.CfnEventSourceMapping(
            self, f"{cid}Mapping",
            function_name=function.name_ref,
            event_source_arn=queue.queue_arn,
            batch_size=consumer.batch_size,
            function_response_types=["ReportBatchItemFailures"],
            enabled=True,
        )
        # CloudFormation checks the role can read the queue when it creates the mapping.
        mapping.node.add_dependency(function.role)
        self.queues[consumer.name] = (queue, dlq)

    def _publisher(self) -> None:
        function = self.function(self.definitions.publisher_handler)
        dlq = sqs.Queue(self, "PublisherDlq", queue_name=f"{self.settings.prefix}-publisher-dlq",
                        retention_period=cdk.Duration.days(14), encryption=sqs.QueueEncryption.SQS_MANAGED,
                        enforce_ssl=True)
        self._dlq_alarm("PublisherDlqAlarm", dlq, f"{self.settings.prefix}-publisher-dlq")
        role = function.role
        role.add_to_policy(iam.PolicyStatement(actions=STREAM_READ, resources=[self.table.table_stream_arn]))
        # ListStreams has no resource-level permissions (the mapping's poller calls it).
        role.add_to_policy(iam.PolicyStatement(actions=["dynamodb:ListStreams"], resources=["*"]))
        role.add_to_policy(iam.PolicyStatement(actions=["events:PutEvents"], resources=[self.bus.event_bus_arn]))
        role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[dlq.queue_arn]))
        mapping = lambda_.CfnEventSourceMapping(
            self, "PublisherMapping",
            function_name=function.name_ref,
            event_source_arn=self.table.table_stream_arn,
            # At least once: a re-created mapping replays the last 24 h rather than skip events.
            starting_position="TRIM_HORIZON",
            batch_size=100,
            parallelization_factor=1,  # keeps each shard's events in order
            filter_criteria=lambda_.CfnEventSourceMapping.FilterCriteriaProperty(filters=[
                lambda_.CfnEventSourceMapping.FilterProperty(pattern=json.dumps(self.definitions.stream_filter))]),
            function_response_types=["ReportBatchItemFailures"],
            bisect_batch_on_function_error=True,
            maximum_retry_attempts=self.settings.publisher_max_retries,
            # The outbox item stays in the table (published_at unset): a failed batch is re-publishable.
            destination_config=lambda_.CfnEventSourceMapping.DestinationConfigProperty(
                on_failure=lambda_.CfnEventSourceMapping.OnFailureProperty(destination=dlq.queue_arn)),
            enabled=True,
        )
        mapping.node.add_dependency(function.role)
        self.publisher_dlq = dlq

    def _schedule(self, schedule: Schedule) -> None:
        function = self.function(schedule.handler)
        cid = to_cfn_resource_name(schedule.name)
        rule = events.CfnRule(
            self, f"{cid}Schedule", name=f"{self.settings.prefix}-{schedule.name}",
            schedule_expression=f"cron({schedule.cron})", state="ENABLED",
            targets=[events.CfnRule.TargetProperty(id="function", arn=function.arn)],
        )
        lambda_.CfnPermission(self, f"{cid}SchedulePermission", action="lambda:InvokeFunction",
                              function_name=function.arn, principal="events.amazonaws.com",
                              source_arn=rule.attr_arn)

    def _dlq_alarm(self, construct_id: str, dlq: sqs.Queue, name: str) -> None:
        alarm = cloudwatch.Alarm(
            self, construct_id, alarm_name=name,
            alarm_description=f"Messages are waiting in {name}: inspect, fix, then redrive them.",
            metric=dlq.metric_approximate_number_of_messages_visible(period=cdk.Duration.minutes(5),
                                                                     statistic="Maximum"),
            threshold=0, comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1, treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.alarm_topic))

    # -- API Gateway ------------------------------------------------------------------------
    def _api_gateway(self) -> None:
        if REST_API not in self.chalice.template["Resources"]:
            return
        api = self.chalice.get_resource(REST_API)
        if not self.settings.public_api_url:
            # Read by the functions at run time (config.public_api_url), so none depends on the API.
            ssm.StringParameter(self, "PublicApiUrl", parameter_name=self.settings.public_api_url_parameter,
                                description="The API's public base URL (execute-api, stage 'api')",
                                string_value=cdk.Fn.sub("https://${" + REST_API + "}.execute-api.${AWS::Region}."
                                                        "${AWS::URLSuffix}/api"))
        # Gateway responses go into the API definition (not AWS::ApiGateway::GatewayResponse
        # resources), so a change to them changes the definition's hash and SAM redeploys the stage.
        api.add_property_override("DefinitionBody.x-amazon-apigateway-gateway-responses", gateway_responses())
        # Usage plans meter the keys the authorizer names (usageIdentifierKey); see docs/deploy.md.
        api.add_property_override("DefinitionBody.x-amazon-apigateway-api-key-source", "AUTHORIZER")
        self.usage_plans = {}
        for tier in TIERS:
            self.usage_plans[tier.name] = apigateway.CfnUsagePlan(
                self, f"UsagePlan{to_cfn_resource_name(tier.name)}",
                usage_plan_name=f"{self.settings.prefix}-{tier.name}",
                description=f"Retaguarda {tier.name} tier",
                # 'RestAPI.Stage' is SAM's reference to the stage it generates: it also orders creation.
                api_stages=[apigateway.CfnUsagePlan.ApiStageProperty(api_id=api.ref,
                                                                     stage=cdk.Fn.ref(f"{REST_API}.Stage"))],
                throttle=apigateway.CfnUsagePlan.ThrottleSettingsProperty(rate_limit=tier.rate_limit,
                                                                         burst_limit=tier.burst_limit),
                quota=apigateway.CfnUsagePlan.QuotaSettingsProperty(limit=tier.quota_per_month, period="MONTH"),
            )
            cdk.Validations.of(self.usage_plans[tier.name]).acknowledge(cdk.Acknowledgment(
                id="CloudFormation-Validate::F1020",
                reason="'RestAPI.Stage' is resolved by the SAM transform (the stage SAM generates)"))

    def _outputs(self) -> None:
        cdk.CfnOutput(self, "TableName", value=self.table.table_name)
        cdk.CfnOutput(self, "EventBusName", value=self.bus.event_bus_name)
        cdk.CfnOutput(self, "DocumentsBucket", value=self.bucket.bucket_name)
        cdk.CfnOutput(self, "AdminApiKeySecret", value=self.admin_key.secret_name,
                      description="aws secretsmanager get-secret-value --secret-id <this>")
        cdk.CfnOutput(self, "AlarmTopic", value=self.alarm_topic.topic_arn)
        for name, plan in getattr(self, "usage_plans", {}).items():
            cdk.CfnOutput(self, f"UsagePlan{to_cfn_resource_name(name)}Id", value=plan.ref)


_ATTRIBUTE_TYPES = {"S": "STRING", "N": "NUMBER", "B": "BINARY"}


def gateway_responses() -> dict[str, Any]:
    """GATEWAY_RESPONSES as API Gateway's `x-amazon-apigateway-gateway-responses` (problem+json)."""
    responses = {}
    for response_type, (status, *_rest) in GATEWAY_RESPONSES.items():
        body = json.dumps(problem_body(response_type))
        if "$" in body or "#" in body:  # the template is VTL: these would be read as directives
            raise ValueError(f"{response_type}: gateway response text must not contain '$' or '#'")
        responses[response_type] = {
            "statusCode": str(status),
            "responseParameters": {"gatewayresponse.header.Content-Type": f"'{PROBLEM_JSON}'",
                                   **{f"gatewayresponse.header.{name}": f"'{value}'"
                                      for name, value in GATEWAY_HEADERS.get(response_type, {}).items()}},
            "responseTemplates": {"application/json": body, PROBLEM_JSON: body},
        }
    return responses

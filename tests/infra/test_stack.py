"""The synthesized stacks: what infra/ deploys, checked against the definitions module.

One module on purpose: `make test` runs xdist with --dist loadfile, so every test that needs
the (session-scoped) synth lands on one worker and the app is synthesized once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("aws_cdk", reason="requirements-infra.txt is not installed")

from aws_cdk.assertions import Match
from chalice.utils import to_cfn_resource_name

from chalicelib.platform.gateway import GATEWAY_RESPONSES, problem_body
from chalicelib.platform.resources import DEFINITIONS, TABLE_INDEXES, TTL_ATTRIBUTE, table_definition
from infra.bytecode import pyc_name
from infra.settings import DOCUMENT_RETENTION_DAYS, STAGES, TIERS
from tests.infra.conftest import SCHEDULED, Synth

STAGE_STACKS = ("retaguarda-dev", "retaguarda-prod")


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def only(template: dict[str, Any], kind: str) -> dict[str, Any]:
    found = resources(template, kind)
    assert len(found) == 1, f"one {kind} expected, found {sorted(found)}"
    return next(iter(found.values()))


def logical_id_of(template: dict[str, Any], ref: Any) -> str:
    """The logical id a {'Ref': X} or {'Fn::GetAtt': [X, attr]} points at."""
    if "Ref" in ref:
        return ref["Ref"]
    return ref["Fn::GetAtt"][0]


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources(template, "AWS::Serverless::Function")


def policy_statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    statements = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def role_of(template: dict[str, Any], function_id: str) -> str:
    return logical_id_of(template, functions(template)[function_id]["Properties"]["Role"])


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return [value] if isinstance(value, str) else value


def statements_with(template: dict[str, Any], function_id: str, prefix: str) -> list[dict[str, Any]]:
    return [s for s in policy_statements(template, role_of(template, function_id))
            if any(a.startswith(prefix) for a in actions(s))]


# -- table -------------------------------------------------------------------------------------
@pytest.mark.parametrize("stack", STAGE_STACKS)
def test_table_is_the_one_the_definitions_module_describes(synth: Synth, stack: str) -> None:
    expected = table_definition(stack)
    template = synth.template(stack)
    template.has_resource_properties("AWS::DynamoDB::Table", {
        "TableName": stack,
        "BillingMode": expected["BillingMode"],
        "KeySchema": expected["KeySchema"],
        "AttributeDefinitions": Match.array_equals(expected["AttributeDefinitions"]),
        "GlobalSecondaryIndexes": Match.array_equals(expected["GlobalSecondaryIndexes"]),
        "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
        "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
    })
    table = only(synth.templates[stack], "AWS::DynamoDB::Table")
    assert [i["IndexName"] for i in table["Properties"]["GlobalSecondaryIndexes"]] == [i.name for i in TABLE_INDEXES]


def test_prod_table_is_retained_and_protected_from_deletion(prod: dict[str, Any]) -> None:
    table = only(prod, "AWS::DynamoDB::Table")
    assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"
    assert table["Properties"]["DeletionProtectionEnabled"] is True


def test_dev_table_can_be_deleted_with_its_stack(dev: dict[str, Any]) -> None:
    table = only(dev, "AWS::DynamoDB::Table")
    assert table["DeletionPolicy"] == "Delete"
    assert table["Properties"].get("DeletionProtectionEnabled") in (None, False)


# -- bus, rules, queues ------------------------------------------------------------------------
@pytest.mark.parametrize("stack", STAGE_STACKS)
def test_each_consumer_has_a_rule_on_the_custom_bus_with_its_event_pattern(synth: Synth, stack: str) -> None:
    template = synth.templates[stack]
    bus_id = next(iter(resources(template, "AWS::Events::EventBus")))
    assert resources(template, "AWS::Events::EventBus")[bus_id]["Properties"]["Name"] == stack
    rules = {r["Properties"]["Name"]: r["Properties"] for r in resources(template, "AWS::Events::Rule").values()
             if "EventPattern" in r["Properties"]}  # schedules are rules too, without a pattern
    assert len(rules) == len(DEFINITIONS.consumers)
    for consumer in DEFINITIONS.consumers:
        rule = rules[f"{stack}-{consumer.name}"]
        assert rule["EventPattern"] == consumer.event_pattern("retaguarda")
        assert rule["EventBusName"] == {"Ref": bus_id}
        (target,) = rule["Targets"]
        queue = resources(template, "AWS::SQS::Queue")[logical_id_of(template, target["Arn"])]
        assert queue["Properties"]["QueueName"] == f"{consumer.queue_name}-{stack.split('-')[-1]}"


def test_event_source_is_the_publishers() -> None:
    from chalicelib.platform.events import EVENT_SOURCE
    from infra.settings import EVENT_SOURCE as INFRA_SOURCE

    assert INFRA_SOURCE == EVENT_SOURCE


@pytest.mark.parametrize("stack", STAGE_STACKS)
def test_each_consumer_queue_has_a_dead_letter_queue_after_max_receive_count(synth: Synth, stack: str) -> None:
    template = synth.templates[stack]
    stage = stack.split("-")[-1]
    queues = {q["Properties"]["QueueName"]: (name, q["Properties"]) for name, q in resources(template, "AWS::SQS::Queue").items()}
    for consumer in DEFINITIONS.consumers:
        _, queue = queues[f"{consumer.queue_name}-{stage}"]
        dlq_id, _ = queues[f"{consumer.dlq_name}-{stage}"]
        assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
                                          "maxReceiveCount": consumer.max_receive_count}
        assert queue["VisibilityTimeout"] == consumer.visibility_timeout_seconds
        assert queue["SqsManagedSseEnabled"] is True


@pytest.mark.parametrize("stack", STAGE_STACKS)
def test_every_dead_letter_queue_has_an_alarm_on_its_depth(synth: Synth, stack: str) -> None:
    template = synth.templates[stack]
    dlqs = {name for name, q in resources(template, "AWS::SQS::Queue").items() if q["Properties"]["QueueName"].endswith(
        ("-dlq", f"-dlq-{stack.split('-')[-1]}"))}
    assert len(dlqs) == len(DEFINITIONS.consumers) + 1  # + the publisher's failure destination
    alarmed = set()
    for alarm in resources(template, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        assert props["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert props["Threshold"] == 0 and props["ComparisonOperator"] == "GreaterThanThreshold"
        assert props["AlarmActions"], "an alarm nobody hears"
        (dimension,) = props["Dimensions"]
        alarmed.add(logical_id_of(template, dimension["Value"]))
    assert alarmed == dlqs


@pytest.mark.parametrize("stack", STAGE_STACKS)
def test_consumers_are_mapped_to_their_queue_and_report_batch_item_failures(synth: Synth, stack: str) -> None:
    template = synth.templates[stack]
    stage = stack.split("-")[-1]
    mappings = resources(template, "AWS::Lambda::EventSourceMapping")
    queue_ids = {q["Properties"]["QueueName"]: name for name, q in resources(template, "AWS::SQS::Queue").items()}
    for consumer in DEFINITIONS.consumers:
        queue_id = queue_ids[f"{consumer.queue_name}-{stage}"]
        (mapping,) = [m["Properties"] for m in mappings.values()
                      if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}]
        assert mapping["FunctionName"] == {"Ref": to_cfn_resource_name(consumer.handler)}
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BatchSize"] == consumer.batch_size
        function = functions(template)[to_cfn_resource_name(consumer.handler)]["Properties"]
        assert function["Timeout"] <= consumer.visibility_timeout_seconds


@pytest.mark.parametrize("stack", STAGE_STACKS)
def test_publisher_reads_only_outbox_inserts_from_the_stream(synth: Synth, stack: str) -> None:
    template = synth.template(stack)
    template.has_resource_properties("AWS::Lambda::EventSourceMapping", {
        "FunctionName": {"Ref": to_cfn_resource_name(DEFINITIONS.publisher_handler)},
        "EventSourceArn": {"Fn::GetAtt": [Match.any_value(), "StreamArn"]},
        "FilterCriteria": {"Filters": [{"Pattern": json.dumps(DEFINITIONS.stream_filter)}]},
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "StartingPosition": "TRIM_HORIZON",
        "BisectBatchOnFunctionError": True,
        "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [Match.any_value(), "Arn"]}}},
    })
    template.resource_count_is("AWS::Lambda::EventSourceMapping", len(DEFINITIONS.consumers) + 1)


def test_mappings_wait_for_their_role_policy(prod: dict[str, Any]) -> None:
    for name, mapping in resources(prod, "AWS::Lambda::EventSourceMapping").items():
        role = role_of(prod, logical_id_of(prod, mapping["Properties"]["FunctionName"]))
        policies = [p for p, r in resources(prod, "AWS::IAM::Policy").items() if {"Ref": role} in r["Properties"]["Roles"]]
        assert set(policies) <= set(mapping.get("DependsOn", [])), name


def test_schedules_in_the_definitions_become_cron_rules_that_invoke_their_handler(synth: Synth) -> None:
    for stack in STAGE_STACKS:  # the real definitions: every schedule is a cron rule on its handler
        crons = {r["Properties"]["ScheduleExpression"]: r["Properties"]["Targets"][0]["Arn"]
                 for r in resources(synth.templates[stack], "AWS::Events::Rule").values()
                 if "ScheduleExpression" in r["Properties"]}
        assert crons == {f"cron({s.cron})": {"Fn::GetAtt": [to_cfn_resource_name(s.handler), "Arn"]}
                         for s in DEFINITIONS.schedules}
    template = synth.templates[SCHEDULED]
    function_id = to_cfn_resource_name(DEFINITIONS.consumers[0].handler)
    (rule,) = [r for r in resources(template, "AWS::Events::Rule").values() if "ScheduleExpression" in r["Properties"]]
    assert rule["Properties"]["ScheduleExpression"] == "cron(0 9 * * ? *)"
    assert rule["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    synth.template(SCHEDULED).has_resource_properties("AWS::Lambda::Permission", {
        "Principal": "events.amazonaws.com", "FunctionName": {"Fn::GetAtt": [function_id, "Arn"]}})


# -- bucket, secrets ---------------------------------------------------------------------------
@pytest.mark.parametrize("stack", STAGE_STACKS)
def test_documents_bucket_is_encrypted_versioned_private_and_keeps_documents_five_years(synth: Synth, stack: str) -> None:
    synth.template(stack).has_resource_properties("AWS::S3::Bucket", {
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
        "VersioningConfiguration": {"Status": "Enabled"},
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                           "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
    })
    (rule,) = only(synth.templates[stack], "AWS::S3::Bucket")["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] == DOCUMENT_RETENTION_DAYS >= 5 * 366
    assert all(t["TransitionInDays"] < DOCUMENT_RETENTION_DAYS for t in rule.get("Transitions", []))
    # TLS only
    synth.template(stack).has_resource_properties("AWS::S3::BucketPolicy", {"PolicyDocument": {"Statement": Match.array_with([
        Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})])}})


def test_prod_keeps_its_data_when_the_stack_goes_and_dev_does_not(prod: dict[str, Any], dev: dict[str, Any]) -> None:
    for kind in ("AWS::S3::Bucket", "AWS::SecretsManager::Secret", "AWS::DynamoDB::Table"):
        assert {r["DeletionPolicy"] for r in resources(prod, kind).values()} == {"Retain"}, kind
        assert {r["DeletionPolicy"] for r in resources(dev, kind).values()} == {"Delete"}, kind


@pytest.mark.parametrize("stack", STAGE_STACKS)
def test_generated_secrets_live_under_the_stage_prefix(synth: Synth, stack: str) -> None:
    stage = stack.split("-")[-1]
    secrets = resources(synth.templates[stack], "AWS::SecretsManager::Secret")
    assert {s["Properties"]["Name"] for s in secrets.values()} == {
        f"retaguarda/{stage}/admin-api-key", f"retaguarda/{stage}/cursor-secret"}
    assert all("GenerateSecretString" in s["Properties"] for s in secrets.values())


# -- functions ---------------------------------------------------------------------------------
def config_aliases() -> set[str]:
    from chalicelib.platform.config import Settings

    return {f.alias for f in Settings.model_fields.values() if f.alias}


@pytest.mark.parametrize("stack", STAGE_STACKS)
def test_every_function_gets_the_settings_the_runtime_reads(synth: Synth, stack: str) -> None:
    template = synth.templates[stack]
    stage = stack.split("-")[-1]
    required = {"RETAGUARDA_STAGE", "TABLE_NAME", "EVENT_BUS_NAME", "DOCUMENTS_BUCKET", "ADMIN_API_KEY",
                "CURSOR_SECRET", "NOTIFICATIONS_SENDER"}
    assert required <= config_aliases()
    for name, function in functions(template).items():
        env = function["Properties"]["Environment"]["Variables"]
        assert required <= set(env), name
        assert env["RETAGUARDA_STAGE"] == stage
        assert env["TABLE_NAME"] == {"Ref": next(iter(resources(template, "AWS::DynamoDB::Table")))}
        assert env["EVENT_BUS_NAME"] == {"Ref": next(iter(resources(template, "AWS::Events::EventBus")))}
        assert env["DOCUMENTS_BUCKET"] == {"Ref": next(iter(resources(template, "AWS::S3::Bucket")))}
        for secret in ("ADMIN_API_KEY", "CURSOR_SECRET"):  # a dynamic reference, never a value
            joined = env[secret]["Fn::Join"][1]
            assert joined[0] == "{{resolve:secretsmanager:" and joined[-1] == ":SecretString:::}}", secret
            assert logical_id_of(template, joined[1]) in resources(template, "AWS::SecretsManager::Secret")
        assert env["NOTIFICATIONS_SENDER"] == STAGES[stage].notifications_sender


def test_functions_run_on_the_python_the_bytecode_was_compiled_for(prod: dict[str, Any]) -> None:
    import sys

    runtimes = {f["Properties"]["Runtime"] for f in functions(prod).values()}
    assert runtimes == {f"python{sys.version_info.major}.{sys.version_info.minor}"}


@pytest.mark.parametrize("stack", STAGE_STACKS)
def test_every_function_has_its_own_role_and_a_log_group_with_the_stage_retention(synth: Synth, stack: str) -> None:
    template = synth.templates[stack]
    stage = stack.split("-")[-1]
    roles = [role_of(template, name) for name in functions(template)]
    assert len(set(roles)) == len(roles)
    assert set(roles) <= set(resources(template, "AWS::IAM::Role"))
    groups = {logical_id_of(template, g["Properties"]["LogGroupName"]["Fn::Join"][1][1]): g["Properties"]
              for g in resources(template, "AWS::Logs::LogGroup").values()}
    assert set(groups) == set(functions(template))
    assert {g["RetentionInDays"] for g in groups.values()} == {STAGES[stage].log_retention_days}


# -- IAM ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("stack", STAGE_STACKS)
def test_no_policy_grants_a_wildcard_action_or_writes_on_any_resource(synth: Synth, stack: str) -> None:
    template = synth.templates[stack]
    for name, policy in resources(template, "AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            for action in actions(statement):
                assert "*" not in action, (name, action)
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if "*" in targets:  # only the read-only calls that have no resource-level permission
                assert actions(statement) == ["dynamodb:ListStreams"], (name, statement)
    for role in resources(template, "AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"] and "Policies" not in role["Properties"]


@pytest.mark.parametrize("stack", STAGE_STACKS)
def test_table_rights_are_item_and_query_calls_on_the_table_and_its_indexes(synth: Synth, stack: str) -> None:
    template = synth.templates[stack]
    table_id = next(iter(resources(template, "AWS::DynamoDB::Table")))
    allowed = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem",
               "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
    stream = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}
    for function_id in functions(template):
        for statement in statements_with(template, function_id, "dynamodb:"):
            granted = set(actions(statement))
            if granted <= stream:
                continue
            assert granted <= allowed, (function_id, granted - allowed)
            assert statement["Resource"] == [{"Fn::GetAtt": [table_id, "Arn"]},
                                             {"Fn::Join": ["", [{"Fn::GetAtt": [table_id, "Arn"]}, "/index/*"]]}]


def test_the_authorizer_only_reads(prod: dict[str, Any]) -> None:
    (authorizer,) = [name for name, f in functions(prod).items() if f["Properties"]["Handler"].endswith("_authorizer")]
    granted = {a for s in policy_statements(prod, role_of(prod, authorizer)) for a in actions(s)} - {
        "logs:CreateLogStream", "logs:PutLogEvents"}
    assert not {a for a in granted if a.split(":")[1].startswith(("Put", "Update", "Delete", "BatchWrite", "Send"))}
    assert not {a for a in granted if a.startswith(("s3:", "events:", "sqs:", "ses:"))}


def test_only_the_publisher_puts_events_and_only_on_the_bus(prod: dict[str, Any]) -> None:
    bus_id = next(iter(resources(prod, "AWS::Events::EventBus")))
    publisher = to_cfn_resource_name(DEFINITIONS.publisher_handler)
    for function_id in functions(prod):
        found = statements_with(prod, function_id, "events:")
        if function_id == publisher:
            assert [(actions(s), s["Resource"]) for s in found] == [(["events:PutEvents"], {"Fn::GetAtt": [bus_id, "Arn"]})]
        else:
            assert found == [], function_id


def test_each_consumer_may_consume_only_its_own_queue(prod: dict[str, Any]) -> None:
    queue_ids = {q["Properties"]["QueueName"]: name for name, q in resources(prod, "AWS::SQS::Queue").items()}
    consumers = {to_cfn_resource_name(c.handler): c for c in DEFINITIONS.consumers}
    for function_id in functions(prod):
        consume = [s for s in statements_with(prod, function_id, "sqs:") if "sqs:ReceiveMessage" in actions(s)]
        if function_id in consumers:
            queue_id = queue_ids[f"{consumers[function_id].queue_name}-prod"]
            assert [s["Resource"] for s in consume] == [{"Fn::GetAtt": [queue_id, "Arn"]}]
        else:
            assert consume == [], function_id


def test_only_the_api_and_the_webhooks_functions_seal_secrets_and_send_to_the_webhooks_queue(prod: dict[str, Any]) -> None:
    [key_id] = resources(prod, "AWS::KMS::Key")
    assert resources(prod, "AWS::KMS::Key")[key_id]["Properties"]["EnableKeyRotation"] is True
    queue_ids = {q["Properties"]["QueueName"]: name for name, q in resources(prod, "AWS::SQS::Queue").items()}
    webhooks_queue = queue_ids["retaguarda-webhooks-prod"]
    allowed = {"APIHandler", to_cfn_resource_name("webhooks_consumer"), to_cfn_resource_name("webhooks_sweep")}
    for function_id in functions(prod):
        kms = statements_with(prod, function_id, "kms:")
        to_queue = [s for s in statements_with(prod, function_id, "sqs:SendMessage")
                    if s["Resource"] == {"Fn::GetAtt": [webhooks_queue, "Arn"]}]
        if function_id in allowed:
            assert [(actions(s), s["Resource"]) for s in kms] == [
                (["kms:GenerateDataKey", "kms:Decrypt"], {"Fn::GetAtt": [key_id, "Arn"]})], function_id
            assert len(to_queue) == 1, function_id
        else:
            assert kms == [] and to_queue == [], function_id
        env = functions(prod)[function_id]["Properties"]["Environment"]["Variables"]
        assert env["WEBHOOKS_KMS_KEY_ID"] == {"Fn::GetAtt": [key_id, "Arn"]}
        assert "retaguarda-webhooks-prod" in json.dumps(env["WEBHOOKS_QUEUE_URL"])


def test_only_the_notifications_consumer_sends_email_and_only_from_the_sender(prod: dict[str, Any]) -> None:
    senders = {name for name in functions(prod) if statements_with(prod, name, "ses:")}
    assert senders == {to_cfn_resource_name(c.handler) for c in DEFINITIONS.consumers if c.name == "notifications"}
    for name in senders:
        for statement in statements_with(prod, name, "ses:"):
            assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": STAGES["prod"].notifications_sender}}


@pytest.mark.parametrize("stack", STAGE_STACKS)
def test_secret_reads_stay_under_the_stage_prefix(synth: Synth, stack: str) -> None:
    template = synth.templates[stack]
    stage = stack.split("-")[-1]
    secret_ids = set(resources(template, "AWS::SecretsManager::Secret"))
    for function_id in functions(template):
        for statement in statements_with(template, function_id, "secretsmanager:"):
            resource = statement["Resource"]
            if set(actions(statement)) <= {"secretsmanager:CreateSecret", "secretsmanager:PutSecretValue"}:
                # writes: only the tenants' A1 certificates, under retaguarda/<stage>/ten_*
                assert resource["Fn::Join"][1][-1] == f":secret:retaguarda/{stage}/ten_*"
                continue
            assert set(actions(statement)) <= {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
            if "Ref" in resource:
                assert resource["Ref"] in secret_ids
            else:
                assert resource["Fn::Join"][1][-1] == f":secret:retaguarda/{stage}/*"


def test_bucket_rights_are_object_rights_on_the_documents_bucket(prod: dict[str, Any]) -> None:
    bucket_id = next(iter(resources(prod, "AWS::S3::Bucket")))
    for function_id in functions(prod):
        for statement in statements_with(prod, function_id, "s3:"):
            assert set(actions(statement)) <= {"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:ListBucket"}
            assert bucket_id in json.dumps(statement["Resource"])


# -- API Gateway -------------------------------------------------------------------------------
@pytest.mark.parametrize("stack", STAGE_STACKS)
def test_gateway_responses_answer_problem_json_with_their_status(synth: Synth, stack: str) -> None:
    api = resources(synth.templates[stack], "AWS::Serverless::Api")["RestAPI"]
    rendered = api["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]
    assert set(rendered) == set(GATEWAY_RESPONSES)
    for response_type, (status, *_) in GATEWAY_RESPONSES.items():
        response = rendered[response_type]
        assert response["statusCode"] == str(status)
        assert response["responseParameters"]["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
        for template in response["responseTemplates"].values():
            assert json.loads(template) == problem_body(response_type)
        assert "application/problem+json" in response["responseTemplates"]
    assert rendered["THROTTLED"]["responseParameters"]["gatewayresponse.header.Retry-After"] == "'1'"
    assert rendered["QUOTA_EXCEEDED"]["responseParameters"]["gatewayresponse.header.Retry-After"] == "'3600'"


@pytest.mark.parametrize("stack", STAGE_STACKS)
def test_usage_plans_exist_per_tier_on_the_api_stage(synth: Synth, stack: str) -> None:
    template = synth.template(stack)
    for tier in TIERS:
        template.has_resource_properties("AWS::ApiGateway::UsagePlan", {
            "UsagePlanName": f"{stack}-{tier.name}",
            "ApiStages": [{"ApiId": {"Ref": "RestAPI"}, "Stage": {"Ref": "RestAPI.Stage"}}],
            "Throttle": {"RateLimit": tier.rate_limit, "BurstLimit": tier.burst_limit},
            "Quota": {"Limit": tier.quota_per_month, "Period": "MONTH"},
        })
    template.resource_count_is("AWS::ApiGateway::UsagePlan", len(TIERS))


def test_stages_differ_only_where_settings_say(prod: dict[str, Any], dev: dict[str, Any]) -> None:
    def env(template: dict[str, Any]) -> dict[str, Any]:
        return functions(template)["APIHandler"]["Properties"]["Environment"]["Variables"]

    assert (env(dev)["SANDBOX_ENABLED"], env(prod)["SANDBOX_ENABLED"]) == ("true", "false")
    assert sorted(resources(dev, "AWS::Lambda::EventSourceMapping")) == sorted(resources(prod, "AWS::Lambda::EventSourceMapping"))
    assert {k: v["Type"] for k, v in dev["Resources"].items()} == {k: v["Type"] for k, v in prod["Resources"].items()}


# -- deployment package and lint -------------------------------------------------------------
def code_asset(synth: Synth, stack: str, kind: str, prop: str) -> Path:
    template = synth.templates[stack]
    (key,) = {r["Properties"][prop]["Key"] for r in template["Resources"].values() if r["Type"] == kind}
    return synth.assets[stack][key.removesuffix(".zip")]


def test_package_and_layer_carry_unchecked_hash_bytecode_for_every_module(synth: Synth) -> None:
    for kind, prop in (("AWS::Serverless::Function", "CodeUri"), ("AWS::Serverless::LayerVersion", "ContentUri")):
        with zipfile.ZipFile(code_asset(synth, "retaguarda-prod", kind, prop)) as package:
            names = set(package.namelist())
            sources = [n for n in names if n.endswith(".py")]
            missing = [n for n in sources if pyc_name(n) not in names]
            assert len(missing) <= len(sources) // 100, missing[:10]  # a few files are not Python 3 at all
            flags = int.from_bytes(package.read(pyc_name(sources[0]))[4:8], "little")
            assert flags == 0b01, "hash-based and unchecked: no mtime to compare with the source"
    with zipfile.ZipFile(code_asset(synth, "retaguarda-prod", "AWS::Serverless::Function", "CodeUri")) as package:
        assert {pyc_name("app.py"), pyc_name("chalicelib/platform/config.py")} <= set(package.namelist())


def test_the_shipped_bytecode_is_what_python_imports(synth: Synth, tmp_path: Path) -> None:
    """Unpacked like Lambda does (read-only), `import app` loads the shipped .pyc, compiling nothing."""
    task, layer = tmp_path / "task", tmp_path / "opt"
    for target, (kind, prop) in ((task, ("AWS::Serverless::Function", "CodeUri")),
                                 (layer, ("AWS::Serverless::LayerVersion", "ContentUri"))):
        with zipfile.ZipFile(code_asset(synth, "retaguarda-prod", kind, prop)) as package:
            package.extractall(target)
    site = layer / "python" / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    for root, dirs, files in os.walk(tmp_path):
        for name in files + dirs:
            os.chmod(Path(root) / name, 0o555 if name in dirs else 0o444)
    probe = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
        "import importlib.machinery as m, app\n"
        "ours = [mod for mod in list(sys.modules.values()) if (getattr(mod, '__file__', '') or '').startswith(sys.argv[1])]\n"
        "print(len(ours), sum(1 for mod in ours if isinstance(mod.__spec__.loader, m.SourceFileLoader)"
        " and mod.__spec__.cached and __import__('os').path.exists(mod.__spec__.cached)))\n"
    )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-v", "-c", probe, str(task), str(site)], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    loaded, with_pyc = map(int, result.stdout.split())
    assert loaded >= 5 and with_pyc == loaded
    compiled_from_source = [line for line in result.stderr.splitlines()
                            if line.startswith("# code object from") and str(tmp_path) in line and ".pyc" not in line]
    assert compiled_from_source == []
    for root, dirs, _ in os.walk(tmp_path):
        for name in dirs:
            os.chmod(Path(root) / name, 0o755)


def sam_expanded(template: dict[str, Any]) -> dict[str, Any]:
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    return transform(json.loads(json.dumps(template)), {}, NoManagedPolicies())


def lint_errors(template: dict[str, Any]) -> list[str]:
    from cfnlint.api import ManualArgs, lint

    matches = lint(json.dumps(template), config=ManualArgs(regions=["sa-east-1", "us-east-1"]))
    return [f"{m.rule.id} {m.message} at {'/'.join(map(str, m.path or []))}" for m in matches if m.rule.id.startswith("E")]


@pytest.mark.parametrize("stack", STAGE_STACKS)
def test_template_has_no_cfn_lint_errors(synth: Synth, stack: str) -> None:
    assert lint_errors(synth.templates[stack]) == []


@pytest.mark.parametrize("stack", STAGE_STACKS)
def test_template_has_no_cfn_lint_errors_after_the_sam_transform(synth: Synth, stack: str) -> None:
    expanded = sam_expanded(synth.templates[stack])
    assert "Transform" not in expanded
    assert not [r for r in expanded["Resources"].values() if r["Type"].startswith("AWS::Serverless::")]
    # SAM's stage reference became a plain Ref to the stage it generated (which also orders creation).
    stage_refs = {json.dumps(r["Properties"]["ApiStages"][0]["Stage"]) for r in expanded["Resources"].values()
                  if r["Type"] == "AWS::ApiGateway::UsagePlan"}
    assert stage_refs == {json.dumps({"Ref": "RestAPIapiStage"})}
    assert lint_errors(expanded) == []


def test_the_linter_does_see_errors() -> None:
    broken = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": "soon"}}}}
    assert lint_errors(broken)


# -- the API's public address ------------------------------------------------------------------------
@pytest.mark.parametrize("stack", STAGE_STACKS)
def test_functions_find_the_public_api_url_in_a_parameter_the_stack_writes(synth: Synth, stack: str) -> None:
    template = synth.templates[stack]
    stage = stack.split("-")[-1]
    (parameter,) = resources(template, "AWS::SSM::Parameter").values()
    assert parameter["Properties"]["Name"] == f"/retaguarda/{stage}/public-api-url"
    assert "${RestAPI}.execute-api" in parameter["Properties"]["Value"]["Fn::Sub"]
    for name, function in functions(template).items():
        env = function["Properties"]["Environment"]["Variables"]
        assert env["PUBLIC_API_URL_PARAMETER"] == f"/retaguarda/{stage}/public-api-url" and "PUBLIC_API_URL" not in env
        if statements_with(template, name, "s3:"):  # every function but the authorizer
            assert statements_with(template, name, "ssm:"), name


def test_a_custom_domain_is_given_to_the_functions_directly() -> None:
    from infra.settings import stage_from_context

    settings = stage_from_context({"stage": "prod", "public_api_url": "https://api.example.com"}.get)
    assert settings.public_api_url == "https://api.example.com"

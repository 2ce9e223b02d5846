"""The local event runner: what AWS does between the table and the handlers.

- reads the table's stream (DynamoDB Local's, or moto's) and hands Lambda-shaped batches
  of outbox INSERTs to the publisher function, with the same filter infra/ declares;
- drains each consumer's SQS queue into its handler with Lambda-shaped SQS events,
  deleting only the messages the handler did not report as failed (the rest come back
  after their visibility timeout, and SQS moves them to the DLQ after maxReceiveCount);
- fires the schedules on a clock (moto stores schedules but never fires them), each every
  `every_seconds_locally`, or as often as LOCAL_SCHEDULES says (`payables-daily=2,dunning-daily=60`).
The stream position is checkpointed to a file, so a restart resumes where it stopped.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from chalicelib.platform.observability import logger
from chalicelib.platform.resources import DEFINITIONS, OUTBOX_SK_PREFIX


def local_intervals(setting: str) -> dict[str, float]:
    """LOCAL_SCHEDULES (`name=seconds,...`): how often `make run` fires a schedule instead of its default."""
    intervals = {}
    for part in filter(None, (p.strip() for p in setting.split(","))):
        name, _, seconds = part.partition("=")
        try:
            intervals[name.strip()] = max(0.5, float(seconds))
        except ValueError:
            raise SystemExit(f"LOCAL_SCHEDULES: '{part}' is not name=seconds") from None
    return intervals


class LambdaContext:
    def __init__(self, name: str) -> None:
        self.function_name = name
        self.aws_request_id = str(uuid.uuid4())
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:retaguarda-{name}"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def _passes_stream_filter(record: dict[str, Any]) -> bool:
    keys = record.get("dynamodb", {}).get("Keys", {})
    return record.get("eventName") == "INSERT" and keys.get("sk", {}).get("S", "").startswith(OUTBOX_SK_PREFIX)


WORKERS_PER_QUEUE = 3


class EventRunner:
    def __init__(self, app_module: Any, client: Any, table_name: str, queue_urls: dict[str, str],
                 checkpoint_file: Path | None, poll_seconds: float = 0.2) -> None:
        self._app = app_module
        self._client = client
        self._table = table_name
        self._queues = queue_urls
        self._checkpoint_file = checkpoint_file
        self._poll = poll_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._checkpoints: dict[str, str] = {}
        if checkpoint_file and checkpoint_file.exists():
            self._checkpoints = json.loads(checkpoint_file.read_text())

    def start(self) -> None:
        for service in ("sqs", "dynamodb", "dynamodbstreams"):  # made once, before the threads share them
            self._client(service)
        self._spawn(self._stream_loop, "stream")
        for consumer in DEFINITIONS.consumers:
            # Like Lambda's concurrent pollers: a burst of orders does not wait on one NF-e at a time
            # (consumers are idempotent and safe to run side by side).
            for worker in range(WORKERS_PER_QUEUE):
                self._spawn(self._queue_loop, f"{consumer.name}-{worker}", consumer)
        for schedule in DEFINITIONS.schedules:
            self._spawn(self._schedule_loop, schedule.name, schedule)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _spawn(self, target: Any, name: str, *args: Any) -> None:
        thread = threading.Thread(target=self._guard, args=(target, *args), name=f"runner-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _guard(self, target: Any, *args: Any) -> None:
        while not self._stop.is_set():
            try:
                target(*args)
                return
            except Exception:  # noqa: BLE001 - keep the runner alive; the loop resumes from its checkpoint
                if self._stop.is_set():
                    return
                logger.exception("event runner loop failed; restarting it")
                self._stop.wait(1)

    # Stream → publisher
    def _stream_loop(self) -> None:
        dynamodb = self._client("dynamodb")
        streams = self._client("dynamodbstreams")
        stream_arn = dynamodb.describe_table(TableName=self._table)["Table"]["LatestStreamArn"]
        iterators: dict[str, str | None] = {}
        last_describe = 0.0
        while not self._stop.is_set():
            if time.monotonic() - last_describe > 5:
                last_describe = time.monotonic()
                for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
                    shard_id = shard["ShardId"]
                    if shard_id in iterators:
                        continue
                    after = self._checkpoints.get(shard_id)
                    kwargs: dict[str, Any] = {"StreamArn": stream_arn, "ShardId": shard_id}
                    if after:
                        kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after)
                    else:
                        kwargs.update(ShardIteratorType="TRIM_HORIZON")
                    iterators[shard_id] = streams.get_shard_iterator(**kwargs)["ShardIterator"]
            busy = False
            for shard_id, iterator in list(iterators.items()):
                if iterator is None:
                    continue
                answer = streams.get_records(ShardIterator=iterator, Limit=100)
                records = answer.get("Records", [])
                if records:
                    busy = True
                    if not self._publish(shard_id, records):
                        # Retry the same batch from the failed record on the next turn.
                        iterators[shard_id] = self._resume(streams, stream_arn, shard_id)
                        continue
                iterators[shard_id] = answer.get("NextShardIterator")
            if not busy:
                self._stop.wait(self._poll)

    def _resume(self, streams: Any, stream_arn: str, shard_id: str) -> str:
        after = self._checkpoints.get(shard_id)
        kwargs: dict[str, Any] = {"StreamArn": stream_arn, "ShardId": shard_id}
        if after:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after)
        else:
            kwargs.update(ShardIteratorType="TRIM_HORIZON")
        return str(streams.get_shard_iterator(**kwargs)["ShardIterator"])

    def _publish(self, shard_id: str, records: list[dict[str, Any]]) -> bool:
        batch = [dict(r, eventSource="aws:dynamodb") for r in records if _passes_stream_filter(r)]
        failed: set[str] = set()
        if batch:
            fn = getattr(self._app, DEFINITIONS.publisher_handler)
            answer = fn({"Records": batch}, LambdaContext(DEFINITIONS.publisher_handler))
            failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
        for record in records:
            sequence = record["dynamodb"]["SequenceNumber"]
            if sequence in failed:
                self._save_checkpoints()
                return False
            self._checkpoints[shard_id] = sequence
        self._save_checkpoints()
        return True

    def _save_checkpoints(self) -> None:
        if self._checkpoint_file:
            self._checkpoint_file.write_text(json.dumps(self._checkpoints))

    # Queues → consumers
    def _queue_loop(self, consumer: Any) -> None:
        sqs = self._client("sqs")
        url = self._queues[consumer.name]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        fn = getattr(self._app, consumer.handler)
        while not self._stop.is_set():
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(consumer.batch_size, 10),
                                           WaitTimeSeconds=1, AttributeNames=["All"]).get("Messages", [])
            if not messages:
                continue
            event = {"Records": [{
                "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m.get("MD5OfBody"),
                "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": "us-east-1",
            } for m in messages]}
            answer = fn(event, LambdaContext(consumer.handler))
            failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
            done = [m for m in messages if m["MessageId"] not in failed]
            if done:
                sqs.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])

    # Schedules
    def _schedule_loop(self, schedule: Any) -> None:
        fn = getattr(self._app, schedule.handler)
        every = local_intervals(os.environ.get("LOCAL_SCHEDULES", "")).get(schedule.name,
                                                                           schedule.every_seconds_locally)
        while not self._stop.wait(every):
            fn({"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "resources": [], "detail": {}},
               LambdaContext(schedule.handler))

"""Outbound webhooks (DynamoDB Local): signed deliveries per second to a receiver on loopback through the
real HTTP sender (batches of 10 attempted side by side, as the consumer does), and DynamoDB calls and
capacity units per delivery: the fan-out (endpoints read, delivery written) and the attempt (delivery read,
endpoint read, claim, event read, outcome)."""

from __future__ import annotations

import http.server
import json
import threading
import time

from bench.support import local_api

EVENTS = 200


class _Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    from local.services import free_port
    from tests.deps import use
    from tests.webhook_doubles import Queue

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with local_api() as api:
            from chalicelib.platform.dynamo import UnitOfWork
            from chalicelib.platform.events import stage_event
            from chalicelib.webhooks import handlers, service
            from chalicelib.webhooks.sender import HttpSender

            queue = Queue()
            deps = use(webhook_sender=HttpSender(local_mode=True), webhook_queue=queue).webhooks
            deps = type(deps)(**{**deps.__dict__, "local_mode": True})  # loopback, as in make run
            tenant = api.tenant["id"]
            service.create_endpoint(tenant, f"http://127.0.0.1:{server.server_address[1]}/hooks", ["*"], None, deps)
            events = []
            for n in range(EVENTS):
                event = deps.events.make(tenant, "charge.paid", {"charge": {"id": f"chg_{n}", "amount_cents": 1000}})
                uow = UnitOfWork()
                stage_event(uow, event)
                uow.commit()
                events.append(event)
            api.counter.reset()
            for event in events:
                service.fan_out(event, deps)
            fan_calls, fan_units = api.counter.total / EVENTS, api.counter.capacity / EVENTS
            messages = [{"messageId": str(n), "body": json.dumps(body)} for n, (body, _) in enumerate(queue.messages)]
            queue.messages.clear()
            api.counter.reset()
            started = time.perf_counter()
            for start in range(0, len(messages), 10):
                assert handlers.handle({"Records": messages[start:start + 10]}, deps) == {"batchItemFailures": []}
            elapsed = time.perf_counter() - started
            print(f"deliveries: {EVENTS} signed POSTs to a loopback receiver in {elapsed:.2f} s = "
                  f"{EVENTS / elapsed:.0f} per second (batches of 10 side by side)")
            print(f"DynamoDB per delivery: fan-out {fan_calls:.1f} calls / {fan_units:.1f} units, attempt "
                  f"{api.counter.total / EVENTS:.1f} calls / {api.counter.capacity / EVENTS:.1f} units "
                  f"({', '.join(f'{op} {n}' for op, n in sorted(api.counter.calls.items()))})")
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()

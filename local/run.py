"""`make run`: the whole stack on one machine, no AWS account.

DynamoDB Local (persisted under .local/data; moto's DynamoDB when there is no Java),
moto's server for EventBridge/SQS/SES/S3, the resources from the definitions module,
chalice local with the problem+json gateway, the event runner, and a demo tenant.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from local.services import (
    ROOT,
    dynamodb_local_available,
    free_port,
    start_dynamodb_local,
    start_moto_server,
    stop,
)

DEMO_TENANT = {
    "name": "Demo Comércio", "legal_name": "Demo Comercio de Utilidades LTDA", "cnpj": "11222333000181",
    "state_registration": "110042490114", "email": "financeiro@demo.example.com",
    "tax_regime": "simples_nacional",
    "address": {"street": "Avenida Paulista", "number": "1000", "complement": None, "district": "Bela Vista",
                "city": "São Paulo", "city_code": "3550308", "state": "SP", "zip": "01310100"},
}


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--ddb-port", type=int, default=0, help="DynamoDB Local port (default: a free one)")
    parser.add_argument("--moto-port", type=int, default=0, help="moto server port (default: a free one)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".local" / "data")
    parser.add_argument("--in-memory", action="store_true", help="do not persist DynamoDB data")
    parser.add_argument("--no-demo", action="store_true", help="do not create the demo tenant")
    return parser.parse_args()


def main() -> int:
    args = _parse()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    moto_port = args.moto_port or free_port()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] = "disabled"
    os.environ.setdefault("RETAGUARDA_STAGE", "local")
    os.environ["AWS_ENDPOINT"] = f"http://127.0.0.1:{moto_port}"
    os.environ.setdefault("PUBLIC_API_URL", f"http://127.0.0.1:{args.port}")
    os.environ.setdefault("WEBHOOKS_LOCAL_KEY", _webhooks_key(args.data_dir))
    processes = []
    moto = start_moto_server(moto_port)
    processes.append(moto)
    try:
        if dynamodb_local_available():
            ddb_port = args.ddb_port or free_port()
            processes.append(start_dynamodb_local(ddb_port, None if args.in_memory else args.data_dir / "dynamodb"))
            os.environ["DYNAMODB_ENDPOINT"] = f"http://127.0.0.1:{ddb_port}"
        else:
            print("WARNING: Java or DynamoDB Local is missing; using moto's DynamoDB (not persisted, "
                  "not the real engine). Run `make install` with Java 17 for DynamoDB Local.", file=sys.stderr)
            os.environ["DYNAMODB_ENDPOINT"] = os.environ["AWS_ENDPOINT"]
        return _serve(args, processes)
    finally:
        for process in reversed(processes):
            stop(process)


def _serve(args: argparse.Namespace, processes: list) -> int:
    # Settings are read once: only now, with the environment complete, import the app.
    import app as app_module
    from chalicelib.platform.aws import client
    from chalicelib.platform.config import get_settings
    from local.gateway import create_server
    from local.provision import provision
    from local.runner import EventRunner

    settings = get_settings()
    queues = provision(settings, client)
    demo = None if args.no_demo else _demo_tenant(args.data_dir)
    runner = EventRunner(app_module, client, settings.table_name, queues, args.data_dir / "stream-checkpoints.json")
    runner.start()
    server = create_server(app_module.app, "127.0.0.1", args.port)
    stopping = threading.Event()

    def _shutdown(*_: object) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _shutdown)
    signal.signal(signal.SIGINT, _shutdown)
    url = f"http://127.0.0.1:{args.port}"
    print("\nRetaguarda is running (Ctrl-C stops it)\n"
          f"  API:            {url}  (try {url}/v1/health, {url}/openapi.json)\n"
          f"  Admin key:      {settings.admin_api_key}\n"
          + (f"  Demo tenant:    {demo['id']} ({demo['name']})\n  Demo key:       {demo['api_key']}\n" if demo else "")
          + f"  DynamoDB:       {settings.dynamodb_endpoint}\n  AWS stand-ins:  {settings.aws_endpoint}\n",
          flush=True)
    try:
        server.server.serve_forever(poll_interval=0.2)
    finally:
        runner.stop()
        server.server.server_close()
        print("Retaguarda stopped.", flush=True)
    return 0


def _webhooks_key(data_dir: Path) -> str:
    """The local master key that seals webhook secrets (AWS uses KMS), made on first start and kept beside the
    data it protects: endpoints survive a restart."""
    import base64
    import secrets

    path = data_dir / "webhooks.key"
    if not path.exists():
        path.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
        path.chmod(0o600)
    return path.read_text().strip()


def _demo_tenant(data_dir: Path) -> dict | None:
    """The demo tenant and its key, created on first start and remembered in .local/."""
    from app import root
    from chalicelib.platform.auth import hash_key
    from chalicelib.platform.errors import ConflictError
    from chalicelib.tenants import service

    state = data_dir / "demo-tenant.json"
    if state.exists():
        demo = json.loads(state.read_text())
        if root().tenant_repository.find_by_hash(hash_key(demo["api_key"])) is not None:
            return demo
    try:
        tenant, _, secret = service.create_tenant(service.NewTenant(**DEMO_TENANT), root().tenants)
    except ConflictError:
        print("note: the demo tenant exists but its key was lost; create another with POST /v1/tenants",
              file=sys.stderr)
        return None
    demo = {"id": tenant.id, "name": tenant.name, "api_key": secret}
    state.write_text(json.dumps(demo))
    return demo


if __name__ == "__main__":
    sys.exit(main())

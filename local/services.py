"""Start and stop the local stand-ins: DynamoDB Local (Java) and moto's server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DDB_DIR = ROOT / ".local" / "dynamodb-local"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None = None, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


def dynamodb_local_available() -> bool:
    return shutil.which("java") is not None and (DDB_DIR / "DynamoDBLocal.jar").exists()


def start_dynamodb_local(port: int, data_dir: Path | None) -> subprocess.Popen[bytes]:
    """DynamoDB Local on loopback; persisted under `data_dir`, or in memory when None."""
    storage = ["-inMemory"] if data_dir is None else ["-dbPath", str(data_dir)]
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        ["java", "-Xmx1g", f"-Djava.library.path={DDB_DIR / 'DynamoDBLocal_lib'}", "-jar",
         str(DDB_DIR / "DynamoDBLocal.jar"), "-sharedDb", "-port", str(port), *storage],
        cwd=DDB_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_for_port(port, process)
    return process


def start_moto_server(port: int) -> subprocess.Popen[bytes]:
    """moto's server (EventBridge, SQS, SES, S3, and DynamoDB as the no-Java fallback)."""
    env = {**os.environ, "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled"}
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    wait_for_port(port, process)
    return process


def stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()

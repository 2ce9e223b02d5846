"""/openapi.json: valid OpenAPI 3.1, complete, and reviewed (snapshot).

After an intended API change, refresh the snapshot with `make snapshot` and review its diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from openapi_spec_validator import validate

SNAPSHOT = Path(__file__).with_name("openapi.snapshot.json")


def document() -> dict:
    import app  # noqa: F401 - registers every route
    from chalicelib.platform.openapi import build_document

    return build_document()


def test_the_document_is_valid_openapi_3_1():
    validate(document())


def test_every_route_is_documented_with_its_schemas():
    from app import app

    doc = document()
    for path, methods in app.routes.items():
        for method in methods:
            operation = doc["paths"][path][method.lower()]
            assert operation["summary"], (method, path)
            if method in ("POST", "PATCH", "PUT") and path not in ("/v1/psp/{provider}/webhooks",):
                assert "requestBody" in operation, (method, path)
            success = [s for s in operation["responses"] if s.startswith("2")]
            assert success, (method, path)


def test_the_document_matches_the_reviewed_snapshot():
    current = json.dumps(document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(current)
    assert SNAPSHOT.exists(), "run `make snapshot` to create the reviewed OpenAPI snapshot"
    assert current == SNAPSHOT.read_text(), "the API changed: review it, then run `make snapshot`"

"""The OpenAPI 3.1 document, generated from the route registry and the pydantic models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.platform.http import ROUTES, RouteSpec

TITLES = {400: "Invalid request", 401: "Unauthenticated", 403: "Forbidden", 404: "Not found",
          409: "Conflict", 413: "Payload too large", 415: "Unsupported media type", 422: "Unprocessable content",
          429: "Too many requests"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code", "errors"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "code": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"},
                           # insufficient_stock: one entry per short SKU (and warehouse)
                           "sku": {"type": "string"}, "warehouse": {"type": "string"},
                           "requested": {"type": "integer"}, "available": {"type": "integer"}}}},
    },
}


def _models() -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    for spec in ROUTES:
        for model in (spec.request, spec.response, spec.documented_request):
            if model is not None:
                seen[model.__name__] = model
    return list(seen.values())


def _query_parameters(model: type[BaseModel] | None) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema()
    params = []
    for name, prop in schema.get("properties", {}).items():
        params.append({"name": name, "in": "query", "required": name in schema.get("required", []),
                       "schema": {k: v for k, v in prop.items() if k != "title"}})
    return params


def _operation(spec: RouteSpec, refs: dict[str, str]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": re.sub(r"[^a-zA-Z0-9]+", "_", f"{spec.method.lower()}_{spec.path}").strip("_"),
        "summary": spec.summary,
        "tags": [spec.tag],
        "parameters": [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                       for name in re.findall(r"{(\w+)}", spec.path)] + _query_parameters(spec.query),
    }
    if spec.description:
        op["description"] = spec.description
    if spec.auth == "public":
        op["security"] = []
    else:
        desc = "Admin key" if spec.auth == "admin" else f"Scope: `{spec.scope or 'any'}`"
        op["description"] = (op.get("description", "") + f"\n\n{desc}.").strip()
    if spec.method in ("POST", "PUT", "PATCH"):
        body_model = spec.request or spec.documented_request
        if body_model is not None:
            op["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": {"$ref": refs[body_model.__name__]}}}}
        elif spec.request_content_type != "application/json":
            op["requestBody"] = {"required": True, "content": {spec.request_content_type: {
                "schema": {"type": "string"}}}}
    if spec.method == "POST":
        op["parameters"].append({"name": "Idempotency-Key", "in": "header", "required": False,
                                 "schema": {"type": "string", "minLength": 1, "maxLength": 255}})
    ok: dict[str, Any] = {"description": "OK" if spec.status < 300 else "Created"}
    if spec.response is not None:
        ok["content"] = {spec.content_type: {"schema": {"$ref": refs[spec.response.__name__]}}}
    elif spec.content_type != "application/json":
        ok["content"] = {spec.content_type: {"schema": {"type": "string", "format": "binary"}}}
    responses: dict[str, Any] = {str(spec.status): ok}
    for status in spec.extra_statuses:  # another success (200 for a resource that existed already)
        if status < 400:
            responses[str(status)] = {**ok, "description": "OK"}
    # What any route may answer: bad input; the key (401/403); a POST's Idempotency-Key reused (409);
    # a body too large or of another media type (413/415); the gateway's throttling (429).
    errors = {400, 429, *(s for s in spec.extra_statuses if s >= 400)}
    if spec.auth != "public":
        errors |= {401, 403}
    if spec.method == "POST":
        errors.add(409)
    if spec.method in ("POST", "PUT", "PATCH"):
        errors |= {413, 415}
    for status in sorted(errors):
        responses[str(status)] = {"$ref": f"#/components/responses/{status}"}
    op["responses"] = responses
    return op


def build_document() -> dict[str, Any]:
    refs_schema, top = models_json_schema([(m, "serialization" if m.__name__.endswith("Response") else "validation")
                                           for m in _models()],
                                          ref_template="#/components/schemas/{model}")
    refs = {model.__name__: value["$ref"] for (model, _), value in refs_schema.items()}
    schemas = dict(top.get("$defs", {}))
    schemas["Problem"] = PROBLEM_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    for spec in sorted(ROUTES, key=lambda s: (s.path, s.method)):
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Retaguarda API", "version": "1.0.0",
                 "description": "Multi-tenant backoffice for Brazilian companies: orders, stock, NF-e, "
                                "charges, dunning, reconciliation, ledger and reports."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "A tenant API key, or the admin key for /v1/tenants."}},
            "schemas": schemas,
            "responses": {str(status): {"description": title, "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                for status, title in TITLES.items()},
        },
    }

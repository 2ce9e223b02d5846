"""Public routes: health and the OpenAPI document."""

from __future__ import annotations

import functools
import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from chalicelib.platform.http import Api, Call, Result

api: Api[None] = Api(__name__, tag="Platform")


class HealthResponse(BaseModel):
    status: str


class OpenApiDocument(BaseModel):
    """An OpenAPI 3.1 document (this one)."""

    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


@api.route_spec("/v1/health", auth="public", response=HealthResponse)
def health(call: Call[None]) -> Result:
    """Health check"""
    return Result({"status": "ok"})


@functools.cache
def _document() -> str:
    from chalicelib.platform.openapi import build_document

    return json.dumps(build_document(), ensure_ascii=False)


@api.route_spec("/openapi.json", auth="public", response=OpenApiDocument)
def openapi(call: Call[None]) -> Result:
    """The OpenAPI 3.1 document of every route"""
    return Result(_document())

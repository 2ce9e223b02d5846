"""The HTTP edge: one view wrapper that authenticates, checks scopes, parses, runs the view
idempotently and turns every error into problem+json.

Chalice converts a view's exception into a response before any middleware sees it, so
the mapping lives here, in the wrapper every route goes through (see DESIGN.md).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ValidationError
from pynamodb.exceptions import PynamoDBException, TransactWriteError

from chalicelib.platform.auth import Principal, principal_from_context
from chalicelib.platform.config import get_settings
from chalicelib.platform.errors import (
    AppError,
    ConflictError,
    FieldError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    PayloadTooLargeError,
    ServiceUnavailableError,
    UnsupportedMediaTypeError,
    validation_errors,
)
from chalicelib.platform.observability import logger

PROBLEM_JSON = "application/problem+json"
IDEMPOTENCY_HEADER = "idempotency-key"
# No request of this API nests more than a handful of levels; a deeper body is an attack on the
# recursive parts of the stack (json, pydantic, merge patches, the idempotency fingerprint).
MAX_JSON_DEPTH = 32


def sandbox_only() -> None:
    """The sandbox routes (`/v1/sandbox/…`) exist only where SANDBOX_ENABLED: elsewhere they are 404."""
    if not get_settings().sandbox_enabled:
        raise NotFoundError("The sandbox is off in this environment.")


@dataclass(frozen=True)
class RouteSpec:
    """What the OpenAPI document says about one route (filled by `Api.route`)."""

    method: str
    path: str
    summary: str
    description: str
    tag: str
    scope: str | None
    request: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    auth: str  # "tenant", "admin" or "public"
    content_type: str = "application/json"
    request_content_type: str = "application/json"
    list_of: bool = False
    extra_statuses: tuple[int, ...] = ()
    # The body's schema for the document only, where the view reads the raw body itself (webhooks).
    documented_request: type[BaseModel] | None = None


ROUTES: list[RouteSpec] = []


@dataclass
class Result:
    """What a view returns: a status, a JSON-able body (or bytes/str) and headers."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


D = TypeVar("D")


@dataclass(frozen=True)
class Call(Generic[D]):
    """Everything a view gets from the edge, already validated, and its context's deps."""

    principal: Principal | None
    body: Any
    query: Any
    raw_body: bytes
    headers: dict[str, str]
    deps: D

    @property
    def tenant_id(self) -> str:
        if self.principal is None or self.principal.tenant_id is None:
            raise ForbiddenError("This call needs a tenant API key.")
        return self.principal.tenant_id


def problem(error: AppError) -> Response:
    body = {
        "type": f"https://docs.retaguarda.dev/errors/{error.code}",
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
        "errors": [e.as_dict() for e in error.errors],
    }
    headers: dict[str, str | list[str]] = {"Content-Type": PROBLEM_JSON, **error.headers}
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=error.status, headers=headers)


def _json_body(raw: bytes, headers: dict[str, str]) -> Any:
    if len(raw) > get_settings().max_body_bytes:
        raise PayloadTooLargeError(f"The body is larger than {get_settings().max_body_bytes} bytes.")
    content_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if raw and content_type not in ("application/json", "") and not content_type.endswith("+json"):
        raise UnsupportedMediaTypeError("Send the body as application/json.",
                                        [FieldError("Content-Type", "must be application/json")])
    if not raw.strip():
        return {}
    too_deep = InvalidRequestError("The body is nested too deeply.",
                                   [FieldError("body", f"nests arrays and objects deeper than {MAX_JSON_DEPTH} levels")])
    try:
        parsed = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise too_deep from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequestError("The body is not valid JSON.", [FieldError("body", f"malformed JSON: {exc}")]) from None
    # Fewer brackets than the limit cannot nest past it: the walk is only paid by bodies that could.
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and json_depth(parsed) > MAX_JSON_DEPTH:
        raise too_deep
    return parsed


def json_depth(value: Any) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def parse_model(model: type[BaseModel], data: Any, prefix: str = "") -> BaseModel:
    if not isinstance(data, dict):
        raise InvalidRequestError("The body must be a JSON object.", [FieldError(prefix or "body", "must be an object")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequestError("Some fields are invalid.", validation_errors(exc, prefix)) from None


def _query(model: type[BaseModel] | None, params: dict[str, str]) -> Any:
    if model is None:
        if params:
            raise InvalidRequestError("This call takes no query parameters.",
                                      [FieldError(name, "is not a known parameter") for name in sorted(params)])
        return None
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise InvalidRequestError("Some query parameters are invalid.", validation_errors(exc)) from None


def _serialize(result: Result) -> Response:
    if result.status == 204:
        return Response(body="", status_code=204, headers=cast("dict[str, str | list[str]]", result.headers))
    body = result.body
    if isinstance(body, BaseModel):
        text: Any = body.model_dump_json()
    elif isinstance(body, (bytes, str)):
        text = body
    else:
        text = json.dumps(body, ensure_ascii=False, default=_json_default)
    headers: dict[str, str | list[str]] = {"Content-Type": result.content_type, **result.headers}
    return Response(body=text, status_code=result.status, headers=headers)


def _json_default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def fingerprint(method: str, path: str, raw: bytes, parsed: Any) -> str:
    canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode() if parsed is not None else raw
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


def map_unexpected(exc: Exception) -> AppError:
    """Storage errors that are the client's to retry, not ours to crash on."""
    if isinstance(exc, TransactWriteError):
        reasons = getattr(exc, "cancellation_reasons", []) or []
        if any(r is not None and r.code == "TransactionConflict" for r in reasons):
            return ConflictError("A concurrent request changed the same data; retry.")
    if isinstance(exc, PynamoDBException):
        code = getattr(getattr(exc, "cause", None), "response", {}).get("Error", {}).get("Code", "")
        if code in ("ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"):
            return ServiceUnavailableError("Storage is busy; retry shortly.", headers={"Retry-After": "1"})
    return None  # type: ignore[return-value]


_tenant_call_hooks: list[Callable[[str], None]] = []


def on_tenant_call(hook: Callable[[str], None]) -> None:
    """What the entry point wants done on every authenticated tenant call (metering): given the tenant id."""
    _tenant_call_hooks[:] = [hook]


class Api(Blueprint, Generic[D]):
    """A Chalice blueprint whose routes all go through the problem+json view wrapper.

    Its views get their context's deps as `call.deps`, from what the entry point gave `provide`."""

    def __init__(self, import_name: str, tag: str) -> None:
        super().__init__(import_name)
        self.tag = tag
        self._deps: Callable[[], D] | None = None

    def provide(self, deps: Callable[[], D]) -> None:
        """The entry point's way to hand this blueprint its deps (called per request; cache on your side)."""
        self._deps = deps

    def _current_deps(self) -> D:
        if self._deps is None:
            raise RuntimeError(f"{self.tag}: no deps provided; the entry point must call provide()")
        return self._deps()

    def route_spec(self, path: str, method: str = "GET", *, scope: str | None = None,
                   auth: str = "tenant", request: type[BaseModel] | None = None,
                   query: type[BaseModel] | None = None, response: type[BaseModel] | None = None,
                   status: int = 200, content_type: str = "application/json",
                   request_content_type: str = "application/json", list_of: bool = False,
                   extra_statuses: tuple[int, ...] = (), documented_request: type[BaseModel] | None = None,
                   also_accepts: tuple[str, ...] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            doc = (view.__doc__ or "").strip()
            summary, _, description = doc.partition("\n")
            ROUTES.append(RouteSpec(method, path, summary.strip(), description.strip(), self.tag, scope,
                                    request, query, response, status, auth, content_type,
                                    request_content_type, list_of, extra_statuses, documented_request))
            wrapped = self._wrap(view, method, scope, auth, request, query, request_content_type)
            from chalicelib.platform.auth import AUTHORIZER

            kwargs: dict[str, Any] = {"methods": [method]}
            if auth != "public":
                kwargs["authorizer"] = AUTHORIZER
            if request_content_type != "application/json":
                kwargs["content_types"] = list(dict.fromkeys(
                    [request_content_type, *also_accepts, "application/json", "text/plain"]))
            self.route(path, **kwargs)(wrapped)
            return view

        return decorator

    def _wrap(self, view: Callable[..., Any], method: str, scope: str | None, auth: str,
              request_model: type[BaseModel] | None, query_model: type[BaseModel] | None,
              request_content_type: str) -> Callable[..., Any]:
        @functools.wraps(view)
        def handler(**path_params: str) -> Response:
            req = self.current_request
            try:
                headers = {k.lower(): v for k, v in (req.headers or {}).items()}
                principal = None if auth == "public" else principal_from_context(req.context)
                if principal is not None:
                    logger.thread_safe_append_keys(tenant_id=principal.tenant_id, key_id=principal.key_id)
                    _check_access(principal, auth, scope)
                    if principal.tenant_id:
                        for hook in _tenant_call_hooks:
                            hook(principal.tenant_id)
                raw = cast(bytes, req.raw_body or b"")  # chalice types it str | bytes; it is always bytes
                parsed: Any = None
                body: Any = None
                if method in ("POST", "PUT", "PATCH"):
                    if request_content_type == "application/json":
                        parsed = _json_body(raw, headers)
                        body = parse_model(request_model, parsed) if request_model else parsed
                    elif len(raw) > get_settings().max_body_bytes:
                        raise PayloadTooLargeError(f"The body is larger than {get_settings().max_body_bytes} bytes.")
                query = _query(query_model, dict(req.query_params or {}))
                call = Call(principal, body, query, raw, headers, self._current_deps())
                run = functools.partial(_run_view, view, call, path_params)
                if method == "POST" and IDEMPOTENCY_HEADER in headers:
                    from chalicelib.platform.idempotency import run_idempotently

                    tenant = principal.tenant_id if principal else None
                    # req.path is the route's pattern: the key is bound to the resource it acted on.
                    path = re.sub(r"{(\w+)}", lambda m: path_params.get(m.group(1), m.group(0)), req.path)
                    return run_idempotently(tenant, headers[IDEMPOTENCY_HEADER],
                                            fingerprint(method, path, raw, parsed), run, problem)
                return run()
            except AppError as exc:
                return problem(exc)
            except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
                mapped = map_unexpected(exc)
                if mapped is not None:
                    return problem(mapped)
                logger.exception("unhandled error", extra={"path": req.path, "method": method})
                error = AppError("An unexpected error occurred; it has been logged.")
                error.status, error.code, error.title = 500, "internal_error", "Internal error"
                return problem(error)

        return handler


def _run_view(view: Callable[..., Any], call: Call[Any], path_params: dict[str, str]) -> Response:
    try:
        outcome = view(call, **path_params)
    except AppError as exc:
        return problem(exc)
    if not isinstance(outcome, Result):
        outcome = Result(outcome)
    return _serialize(outcome)


def _check_access(principal: Principal, auth: str, scope: str | None) -> None:
    if auth == "admin":
        if not principal.is_admin:
            raise ForbiddenError("This call needs the platform admin key.")
        return
    if principal.is_admin:
        raise ForbiddenError("This call needs a tenant API key; the admin key has no tenant.")
    if scope and not principal.allows(scope):
        raise ForbiddenError(f"This key lacks the scope '{scope}'.",
                             [FieldError("scope", f"requires {scope}")])


def accept_any_when_unspecified(request: Any) -> None:
    """A request without Accept accepts any media type (RFC 9110 §12.5.1). Chalice refuses a
    binary response (PDF, PNG) unless the request's Accept names a binary type or */*, so the
    missing header is made the explicit */* it means; an explicit Accept is left as it is."""
    headers = getattr(request, "headers", None)
    if headers is not None and "accept" not in headers:
        from chalice.app import CaseInsensitiveMapping

        request.headers = CaseInsensitiveMapping({**headers, "accept": "*/*"})


_CHALICE_ERRORS = {
    "MethodNotAllowedError": (405, "method_not_allowed", "Method not allowed"),
    "UnsupportedMediaType": (415, "unsupported_media_type", "Unsupported media type"),
    "BadRequest": (406, "not_acceptable", "Not acceptable"),
    "BadRequestError": (400, "invalid_request", "Invalid request"),
}


def problem_from_chalice(response: Response) -> Response:
    """Chalice answers some requests itself (wrong method, media type, Accept) before any view:
    render those as problem+json too."""
    if response.status_code < 400 or not isinstance(response.body, dict) or "Code" not in response.body:
        return response
    status, code, title = _CHALICE_ERRORS.get(response.body["Code"], (response.status_code, "invalid_request",
                                                                       "Invalid request"))
    error = AppError(str(response.body.get("Message") or title))
    error.status, error.code, error.title = status, code, title
    answer = problem(error)
    for name, value in response.headers.items():
        if name.lower() == "allow":
            answer.headers["Allow"] = value
    return answer

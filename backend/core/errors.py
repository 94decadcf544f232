"""One error type and one handler: every refusal reaches the client as {error, message, detail}."""

import errno
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("shouwang")


class Error(BaseModel):
    """The one body of every refusal: a code a program tests, a sentence a person reads,
    and (for bad input) the fields at fault."""

    error: str
    message: str
    detail: Any = None


_STATUS_TEXT = {
    400: "请求不符合协议(如 OAuth2 的 invalid_request、unsupported_grant_type、invalid_scope)",
    401: "未登录、令牌无效或已过期",
    403: "角色或权限范围(scope)不允许",
    404: "没有找到,或不在调用者的辖区内",
    409: "当前状态不允许这项操作",
    412: "If-Match 的版本已过时:记录已被其他人修改,请重新读取(答复带当前的 ETag)",
    413: "上传的内容太大",
    422: "请求内容不合规,detail 列出每个字段",
    429: "请求太频繁,见 Retry-After",
    503: "暂时无法服务,见 Retry-After",
    507: "服务器存储已满,请稍后再发",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: each status it can refuse with, with the Error body."""
    return {s: {"model": Error, "description": _STATUS_TEXT[s]} for s in statuses}


_ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _declare(responses: dict[str, Any], status: int) -> None:
    answer = responses.setdefault(str(status), {"description": _STATUS_TEXT[status]})
    answer.setdefault("content", {"application/json": {"schema": _ERROR_REF}})


def _summarize(operation: dict[str, Any]) -> None:
    """The summary a client's method is documented with: the docstring's first sentence
    rather than FastAPI's title-cased function name ("Client Token")."""
    summary = operation.get("summary", "")
    description = " ".join(operation.get("description", "").split())
    if description and summary.lower().replace(" ", "_").isidentifier():
        first = description.split(". ", 1)[0].rstrip(".")
        operation["summary"] = first if len(first) <= 120 else first[:119] + "…"


def complete_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare on every operation of the OpenAPI document the refusals that come from what all
    routes share rather than from the route itself, each with the Error body, so a generated
    client types them: 401 and 403 where a token is required (no token, an expired one, a role
    or an API client's scope that does not allow it), 429 there too (an API client's request
    limit), 409 on every authenticated write (a state, a duplicate, a stale record), 404 and
    422 where there is any input (a path, a query or a body can name a record that is missing
    or outside the caller's area; FastAPI's own 422 names a body this server never sends),
    503 everywhere (too many requests in flight, the database busy or down), 413 and 507 on
    uploads (too large; the disk full). A route declares
    the rest itself with `responses=error_responses(...)`. Idempotent."""
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            statuses = [503]
            if operation.get("security"):
                statuses += [401, 403, 429]
                if method != "get":
                    statuses.append(409)
            parameters = operation.get("parameters", [])
            if parameters or "requestBody" in operation:
                # A path, a query or a body that names a record: 404 when it is missing or
                # outside the caller's area.
                statuses.append(404)
                answer = responses.get("422")
                if answer is not None and "/HTTPValidationError" in str(answer.get("content")):
                    del responses["422"]
                statuses.append(422)
            if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
                # Too large; or the disk full (a file kept, or the part spooled to disk while
                # the form is read): 507 with Retry-After, nothing kept.
                statuses += [413, 507]
            if any(p.get("in") == "header" and p.get("name") == "If-Match" for p in parameters):
                # The record changed since the caller read it (core/versions).
                statuses.append(412)
            for status in statuses:
                _declare(responses, status)
            # A status a route declared by description alone gets the body it really has.
            for status, answer in responses.items():
                if status[0] in "45" and "content" not in answer:
                    answer["content"] = {"application/json": {"schema": _ERROR_REF}}
            operation["responses"] = dict(sorted(responses.items()))
            _summarize(operation)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", Error.model_json_schema())
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"/{unused}'" not in str(schema):
            components.pop(unused, None)
    return schema


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        detail: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status = status or self.status
        self.detail = detail
        self.headers = headers


class NotFound(AppError):
    status = 404
    code = "not_found"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class Conflict(AppError):
    """A refused state change; `code` names the rule that refused it."""

    status = 409
    code = "conflict"


class Invalid(AppError):
    """Well-formed input that breaks a rule about its content (field named in detail)."""

    status = 422
    code = "invalid"

    def __init__(self, field: str, message: str, **kw: Any) -> None:
        label = FIELD_LABELS.get(field.rsplit(".", 1)[-1], "")
        shown = f"{label}({field})" if label else field
        super().__init__(f"{shown}:{message}", detail=[{"field": field, "message": message}], **kw)


class TooMany(AppError):
    status = 429
    code = "too_many_requests"


class Unavailable(AppError):
    status = 503
    code = "unavailable"


# Chinese names of fields, so a message says which box on the screen is wrong. Each domain
# registers the names of its own fields (backend/<domain>/labels.py, imported by its package);
# these two are the paging parameters every list takes.
FIELD_LABELS: dict[str, str] = {"limit": "每页条数", "offset": "起始位置"}


def register_labels(labels: dict[str, str]) -> None:
    """Add a domain's field names. A field two domains both use must have one name: a
    message is labelled by the field alone, whichever domain raised it."""
    for field, label in labels.items():
        known = FIELD_LABELS.setdefault(field, label)
        if known != label:
            raise ValueError(f"field {field!r} is labelled both {known!r} and {label!r}")


_PYDANTIC_MESSAGES = {
    "missing": "必须填写",
    "extra_forbidden": "不认识这个字段",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_type": "应为是或否",
    "bool_parsing": "应为是或否",
    "string_type": "应为文字",
    "string_too_short": "太短",
    "string_too_long": "太长",
    "string_pattern_mismatch": "格式不对",
    "enum": "不是可选的值",
    "literal_error": "不是可选的值",
    "date_type": "应为日期(如 2024-05-01)",
    "date_parsing": "应为日期(如 2024-05-01)",
    "date_from_datetime_parsing": "应为日期(如 2024-05-01)",
    "datetime_type": "应为时间",
    "datetime_parsing": "应为时间",
    "uuid_type": "应为编号(UUID)",
    "uuid_parsing": "应为编号(UUID)",
    "greater_than_equal": "数值太小",
    "greater_than": "数值太小",
    "less_than_equal": "数值太大",
    "less_than": "数值太大",
    "list_type": "应为列表",
    "too_long": "条目太多",
    "too_short": "条目太少",
    "dict_type": "应为对象",
    "model_attributes_type": "应为对象",
    "json_invalid": "不是有效的 JSON",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
}


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form")]
    return ".".join(parts) or "请求"


def _validation_message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "value_error":
        # Our own validators raise ValueError with a Chinese sentence.
        return str(err.get("ctx", {}).get("error", err.get("msg", "")))
    if kind in _PYDANTIC_MESSAGES:
        text = _PYDANTIC_MESSAGES[kind]
        ctx = err.get("ctx") or {}
        if kind in ("greater_than_equal", "greater_than") and "ge" in ctx:
            text += f",不能小于 {ctx['ge']}"
        elif kind in ("greater_than_equal", "greater_than") and "gt" in ctx:
            text += f",必须大于 {ctx['gt']}"
        elif kind in ("less_than_equal", "less_than") and "le" in ctx:
            text += f",不能大于 {ctx['le']}"
        elif kind == "string_too_long" and "max_length" in ctx:
            text += f",最多 {ctx['max_length']} 个字"
        elif kind == "too_long" and "max_length" in ctx:
            text += f",最多 {ctx['max_length']} 条"
        elif kind in ("enum", "literal_error") and "expected" in ctx:
            text += f",可选:{ctx['expected']}"
        return text
    return "格式不对"


def describe(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    """Pydantic errors as (one Chinese sentence naming the first field, all of them)."""
    detail = [
        {"field": _field_path(tuple(e.get("loc", ()))), "message": _validation_message(e)}
        for e in errors
    ]
    first = detail[0] if detail else {"field": "请求", "message": "格式不对"}
    label = FIELD_LABELS.get(first["field"].rsplit(".", 1)[-1], "")
    shown = f"{label}({first['field']})" if label else first["field"]
    return f"{shown}:{first['message']}", detail


# PostgreSQL's lock_timeout ran out (core/db.py sets it): busy, not broken.
LOCK_NOT_AVAILABLE = "55P03"
RETRY_SOON = {"Retry-After": "5"}
# What the driver raises when the database cannot be reached or stops answering (refused,
# gone mid-query, the pool waited in vain, SQLite's file cannot be opened): the request is
# fine and worth sending again later, so 503 with Retry-After, never 500.
DATABASE_DOWN = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)


def _render(status: int, code: str, message: str, detail: Any = None, headers=None) -> JSONResponse:
    return JSONResponse(
        {"error": code, "message": message, "detail": detail}, status_code=status, headers=headers
    )


def _allowed_methods(request: Request) -> str | None:
    """Every method the API serves at this path, from the OpenAPI document: Starlette's own
    405 names only the methods of the first route whose path matched."""
    table = getattr(request.app.state, "allowed_methods", None)
    if table is None:
        table = [
            (re.compile(re.sub(r"\{[^}]+\}", "[^/]+", path)), ", ".join(m.upper() for m in item))
            for path, item in request.app.openapi().get("paths", {}).items()
        ]
        # A fixed path before a template that also matches it (/calendar/coverage, /{day}).
        table.sort(key=lambda row: "[^/]+" in row[0].pattern)
        request.app.state.allowed_methods = table
    return next(
        (methods for pattern, methods in table if pattern.fullmatch(request.url.path)), None
    )


def _disk_full(exc: BaseException | None) -> bool:
    """Whether `exc`, or what it was raised from, is the disk (or a quota) being full."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _storage_full(request: Request) -> JSONResponse:
    # One line: an operator's event (free the disk), not a bug with a stack to read.
    log.error("disk full: %s %s not served", request.method, request.url.path)
    return _render(
        507,
        "storage_full",
        "服务器存储空间已满,未能保存,请稍后再发",
        headers={"Retry-After": "300"},
    )


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return _render(exc.status, exc.code, exc.message, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if errors and all(
            e.get("loc", ("",))[0] == "path" and e.get("type") == "uuid_parsing" for e in errors
        ):
            # A path naming a record by something that is no record's id (`/problems/null`):
            # no such record, as a router's `{id:uuid}` would answer.
            return _render(404, "not_found", "没有找到")
        message, detail = describe(errors)
        return _render(422, "invalid", message, detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and _disk_full(exc):
            # The form's parts are spooled to a temporary file past 1 MB: the disk is full.
            return _storage_full(request)
        if exc.status_code == 400:
            # The framework could not parse the body (broken JSON or multipart): bad input,
            # answered as every other bad input is.
            return _render(
                422,
                "invalid",
                "请求内容无法解析,请检查格式",
                [{"field": "请求", "message": "无法解析"}],
            )
        if exc.status_code == 405:
            allowed = _allowed_methods(request)
            headers = {"Allow": allowed} if allowed else getattr(exc, "headers", None)
            return _render(405, "method_not_allowed", "不支持这种请求方式", headers=headers)
        messages = {404: "没有找到", 405: "不支持这种请求方式", 401: "请先登录"}
        return _render(
            exc.status_code,
            {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
                exc.status_code, "http_error"
            ),
            messages.get(exc.status_code, str(exc.detail)),
            headers=getattr(exc, "headers", None),
        )

    async def _database_down(request: Request, exc: Exception) -> JSONResponse:
        if getattr(getattr(exc, "orig", None), "sqlstate", None) == LOCK_NOT_AVAILABLE:
            return _render(503, "database_busy", "系统繁忙,请稍后再试", headers=RETRY_SOON)
        # One line, no traceback: an outage is an operator's event, not a bug, and would
        # otherwise fill the log with one stack per request. The driver's first line says
        # why (refused, timed out…); no statement or parameters are logged.
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[:1]
        log.error(
            "database unavailable: %s %s: %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
            reason[0] if reason else "",
        )
        return _render(
            503, "database_unavailable", "数据库暂时无法连接,请稍后再试", headers=RETRY_SOON
        )

    for kind in DATABASE_DOWN:
        app.add_exception_handler(kind, _database_down)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        from backend.core import headers

        if _disk_full(exc):
            response = _storage_full(request)
        else:
            log.exception("unhandled error", exc_info=exc)
            response = _render(500, "internal_error", "服务器出错了,请稍后再试")
        # Starlette answers this outside every middleware: the headers are added here.
        headers.secure(response.headers, https=request.url.scheme == "https")
        return response

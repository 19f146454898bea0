"""Application errors and the one handler that answers them in the documented shape.

Errors answer ``{"error": {"code", "message", "details"}}``; validation errors keep FastAPI's
422 ``{"detail": [...]}`` list, and a bad product image is reported there too, naming the
``product_image_url`` field.

What a response says never shows where the server keeps its files: messages lose file system
paths (:func:`without_paths`), and a validation error's echo of the input is made valid JSON
(a non-finite number becomes its JSON spelling, a lone surrogate its escape) instead of
failing as a 500.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ugen import service
from ugen.api.social_errors import ERRORS as SOCIAL_ERRORS
from ugen.api.social_errors import social_answer
from ugen.pipeline.prepare import JobValidationError
from ugen.store import ledger
from ugen.store.limits import JobLimitError

log = logging.getLogger("ugen.api")

_CODES = {
    400: "BAD_REQUEST", 401: "UNAUTHORIZED", 402: "PAYMENT_REQUIRED", 403: "FORBIDDEN",
    404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE", 429: "RATE_LIMITED", 500: "INTERNAL_ERROR",
}
# Where a field of the pipeline's own validation lives in the HTTP request.
_FIELD_LOC = {"product_image": "product_image_url"}


class ApiError(StarletteHTTPException):
    """An error the API answers as ``{"error": {"code", "message", "details"}}``.

    An HTTP exception, so one raised while a request body is read (a body past its limit)
    passes through the framework's body parsing as the error it is.
    """

    def __init__(self, status_code: int, code: str, message: str,
                 details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code, message, headers)
        self.code = code
        self.message = message
        self.details = details or {}

    def __str__(self) -> str:
        return self.message


# An absolute path (quoted, it may hold spaces); not the path of a URL (``scheme://host/p``).
_ABSOLUTE_PATH = re.compile(r"""'/[^'\n]*'|"/[^"\n]*"|(?<![\w.:/~%-])/[^\s'"/]+/[^\s'"]*""")


def without_paths(message: str, roots: tuple[Path, ...] = ()) -> str:
    """``message`` with every file system path in it replaced by ``<file>``.

    ``roots`` (the data dir, which may be relative) are replaced with whatever path follows
    them; then every absolute path is.
    """
    for root in roots:
        for spelling in {str(root), str(root.resolve())}:
            if spelling not in ("", ".", "/"):
                message = re.sub(rf"""(?<![\w.-]){re.escape(spelling)}(?=/|$|[\s'")])"""
                                 r"""[^\s'"]*""", "<file>", message)
    return _ABSOLUTE_PATH.sub("<file>", message)


def _roots(request: Request) -> tuple[Path, ...]:
    settings = getattr(request.app.state, "settings", None)
    return (settings.data_dir,) if settings is not None else ()


def _json_safe(value: Any, roots: tuple[Path, ...] | None) -> Any:
    """A JSON-encodable copy: non-finite floats as their JSON spelling, lone surrogates
    escaped; with ``roots``, strings without paths."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, str):
        text = value.encode("utf-8", "backslashreplace").decode("utf-8")
        return text if roots is None else without_paths(text, roots)
    if isinstance(value, dict):
        return {_json_safe(str(k), None): _json_safe(v, roots) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v, roots) for v in value]
    return value


def _public_detail(entry: Any, roots: tuple[Path, ...]) -> Any:
    """One ``detail`` entry: its message and context without paths, the rest as given."""
    if not isinstance(entry, dict):
        return _json_safe(entry, None)
    return {str(k): _json_safe(v, roots if k in ("msg", "ctx") else None)
            for k, v in entry.items()}


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 ``{"detail": [...]}``, always valid JSON and without server paths."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    roots = _roots(request)
    detail = [_public_detail(entry, roots) for entry in jsonable_encoder(errors)]
    return JSONResponse({"detail": detail}, status_code=422)


def error_response(status_code: int, code: str, message: str,
                   details: dict[str, Any] | None = None,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return JSONResponse(_json_safe(body, None), status_code=status_code, headers=headers)


def _as_api_error(exc: Exception) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, service.JobNotFoundError):
        return ApiError(404, "JOB_NOT_FOUND", f"no job {exc.args[0]}" if exc.args else
                        "no such job")
    if isinstance(exc, service.JobStateError):
        return ApiError(409, "JOB_STATE_CONFLICT", str(exc))
    if isinstance(exc, service.IdempotencyConflictError):
        return ApiError(409, "IDEMPOTENCY_CONFLICT",
                        "idempotency_key was already used with different parameters",
                        {"job_id": exc.job_id})
    if isinstance(exc, ledger.InsufficientCreditsError):
        return ApiError(402, "INSUFFICIENT_CREDITS", "Insufficient credits",
                        {"required": exc.required, "available": exc.available})
    if isinstance(exc, JobLimitError):
        kind = "concurrent" if exc.limit == "concurrent_jobs" else "daily"
        return ApiError(429, "JOB_LIMIT_EXCEEDED",
                        f"the account's {kind} job limit of {exc.maximum} is reached",
                        {"limit": exc.limit, "max": exc.maximum, "current": exc.current,
                         "retry_after": exc.retry_after_s},
                        headers={"Retry-After": str(exc.retry_after_s)})
    social = social_answer(exc)
    if social is not None:
        return ApiError(*social)
    if isinstance(exc, StarletteHTTPException):
        return ApiError(exc.status_code, _CODES.get(exc.status_code, "ERROR"), str(exc.detail),
                        headers=dict(exc.headers) if exc.headers else None)
    log.exception("unhandled error", exc_info=exc)
    return ApiError(500, "INTERNAL_ERROR", "internal server error")


async def handle_error(request: Request, exc: Exception) -> JSONResponse:
    """Answer a domain or HTTP error in the documented error shape."""
    roots = _roots(request)
    if isinstance(exc, JobValidationError):
        field = _FIELD_LOC.get(exc.field, exc.field)
        detail = [{"type": "value_error", "loc": ["body", field],
                   "msg": without_paths(exc.message, roots), "input": None}]
        return JSONResponse({"detail": detail}, status_code=422)
    err = _as_api_error(exc)
    return error_response(err.status_code, err.code, without_paths(err.message, roots),
                          err.details, err.headers)


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    for social_error in SOCIAL_ERRORS:
        app.add_exception_handler(social_error, handle_error)
    for exc_type in (ApiError, StarletteHTTPException, JobValidationError,
                     service.JobNotFoundError, service.JobStateError,
                     service.IdempotencyConflictError, ledger.InsufficientCreditsError,
                     JobLimitError, Exception):
        app.add_exception_handler(exc_type, handle_error)


def field_error(field: str, message: str, value: object, *,
                reason: str | None = None) -> RequestValidationError:
    """A 422 in FastAPI's ``detail`` shape naming one body field (for checks done in routes).

    ``reason``, a stable code, goes to the entry's ``ctx``.
    """
    entry: dict[str, Any] = {"type": "value_error", "loc": ("body", field),
                             "msg": f"Value error, {field} {message}", "input": value}
    if reason is not None:
        entry["ctx"] = {"reason": reason}
    return RequestValidationError([entry])

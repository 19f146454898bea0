"""Application errors and the one handler that answers them in the documented shape.

Errors answer ``{"error": {"code", "message", "details"}}``; validation errors keep FastAPI's
422 ``{"detail": [...]}`` list, and a bad product image is reported there too, naming the
``product_image_url`` field.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ugen import service
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


class ApiError(Exception):
    """An error the API answers as ``{"error": {"code", "message", "details"}}``."""

    def __init__(self, status_code: int, code: str, message: str,
                 details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers


def error_response(status_code: int, code: str, message: str,
                   details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return JSONResponse(body, status_code=status_code, headers=headers)


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
    if isinstance(exc, StarletteHTTPException):
        return ApiError(exc.status_code, _CODES.get(exc.status_code, "ERROR"), str(exc.detail),
                        headers=dict(exc.headers) if exc.headers else None)
    log.exception("unhandled error", exc_info=exc)
    return ApiError(500, "INTERNAL_ERROR", "internal server error")


async def handle_error(request: Request, exc: Exception) -> JSONResponse:
    """Answer a domain or HTTP error in the documented error shape."""
    if isinstance(exc, JobValidationError):
        field = _FIELD_LOC.get(exc.field, exc.field)
        detail = [{"type": "value_error", "loc": ["body", field], "msg": exc.message,
                   "input": None}]
        return JSONResponse({"detail": detail}, status_code=422)
    err = _as_api_error(exc)
    return error_response(err.status_code, err.code, err.message, err.details, err.headers)


def register_error_handlers(app: FastAPI) -> None:
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

"""How the dashboard answers errors: a page for people, JSON for its own scripts.

A request made by the dashboard's scripts (``Accept: application/json``, or an event stream)
gets ``{"error": {"code", "message"}}``; a page request gets an error page. A missing
session sends a page to ``/login`` (and back afterwards). Another account's job is answered
exactly like a job that does not exist.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException

from ugen.web.templating import templates_of

log = logging.getLogger("ugen.web")

_TITLES = {400: "That request was not understood", 401: "Please sign in",
           403: "Not allowed", 404: "Page not found", 405: "Not allowed",
           413: "Too large", 429: "Too many attempts", 500: "Something went wrong"}
_CODES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
          405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE", 429: "RATE_LIMITED",
          500: "INTERNAL_ERROR"}


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept or "text/event-stream" in accept


def error_page(request: Request, status: int, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"error": {"code": _CODES.get(status, "ERROR"),
                                       "message": message}}, status_code=status)
    return templates_of(request).page(request, "error.html", status_code=status,
                                      title=_TITLES.get(status, "Error"), message=message)


async def sign_in_required(request: Request, exc: Exception) -> Response:
    if wants_json(request) or request.method != "GET":
        return error_page(request, 401, "Your session has ended. Sign in again.")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


async def not_found(request: Request, exc: Exception) -> Response:
    return error_page(request, 404, "There is no such job in this account.")


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "")
    if exc.status_code == 404 and message == "Not Found":
        message = "There is no page at this address."
    response = error_page(request, exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def bad_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
    return error_page(request, 400, "Some values were missing or not understood: "
                                    + (", ".join(fields) or "the request"))


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("dashboard error", exc_info=exc)
    return error_page(request, 500, "The server could not finish this request. "
                                    "It was logged; try again in a moment.")

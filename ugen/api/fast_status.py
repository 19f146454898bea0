"""``GET /api/v1/jobs/{job_id}`` answered before routing: the status read every client polls.

FastAPI's routing and dependency resolution cost more than the status read itself, so this
plain ASGI middleware answers that one path with the same :class:`JobStatuses` the route uses:
the key from ``X-API-Key`` or ``Authorization: Bearer`` read as the route's security schemes
read it, the same bodies, headers and error shapes. Every other request, and every other
method on that path, goes on to FastAPI, where the route stays for the OpenAPI document.
"""

from __future__ import annotations

from fastapi.security.utils import get_authorization_scheme_param
from starlette.types import ASGIApp, Receive, Scope, Send

from ugen.api.deps import key_of
from ugen.api.errors import ApiError, error_response
from ugen.api.job_views import JobStatuses

_JSON = (b"content-type", b"application/json")


def route_path(scope: Scope) -> str:
    """The path without the app's root path, as Starlette's router matches it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root):len(root) + 1] in ("/", ""):
        return path[len(root):]
    return path


def request_key(scope: Scope) -> str:
    """The request's API key: ``Authorization: Bearer`` else ``X-API-Key`` (first of each).

    Raises:
        ApiError: 401 when neither is given.
    """
    api_key = authorization = None
    for name, value in scope["headers"]:
        if name == b"x-api-key" and api_key is None:
            api_key = value.decode("latin-1")
        elif name == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
    scheme, credentials = get_authorization_scheme_param(authorization)
    bearer = credentials if scheme.lower() == "bearer" and credentials else None
    return key_of(api_key, bearer)


class JobStatusFastPath:
    """Answer ``GET {prefix}/jobs/{job_id}`` from :class:`JobStatuses`, before routing."""

    def __init__(self, app: ASGIApp, *, prefix: str, statuses: JobStatuses) -> None:
        self.app = app
        self.jobs = f"{prefix}/jobs/"
        self.statuses = statuses

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        job_id = path[len(self.jobs):]
        if not path.startswith(self.jobs) or not job_id or "/" in job_id:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        try:
            body = self.statuses.body(request_key(scope), job_id,
                                      client[0] if client else None)
        except ApiError as err:
            response = error_response(err.status_code, err.code, err.message, err.details,
                                      err.headers)
            await response(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode()), _JSON]})
        await send({"type": "http.response.body", "body": body})

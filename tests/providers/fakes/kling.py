"""A fake of Kling's image-to-video REST API, faithful where the adapter depends on it.

It checks the JWT (HS256 with the secret key, ``iss`` = access key, ``exp`` and ``nbf``),
the create body (field names and types as documented: ``duration`` a string "3"–"15",
``image``/``image_tail`` raw base64 of a jpg/png without a ``data:`` prefix, ``mode``,
``sound``, a unique ``external_task_id``; unknown fields refused), and runs each task
``submitted → processing → succeed`` (or ``failed``) over ``processing_s``, rendering a real
MP4 between the two frames that speaks the prompt's quoted line when ``sound`` is on. Faults
are injected per request with :meth:`FakeKling.inject` (any row of Kling's code table).

It answers as the live API does where the adapter depends on it: a lookup of an unknown task
or external id is HTTP 400 with code 1201 ("Task not found by id/external id: …"), not 404;
a ``model_name`` Kling does not serve (never, or no longer:
:mod:`tests.providers.fakes.retired_models`) is 404 code 1203 (the code table's "requested
resource does not exist, such as the model"); a field the model does not take (``sound``
before V2.6, ``cfg_scale`` after V1.x) is 400 code 1201.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from tests.providers.fakes.media import decode_image, render_between, spoken_line
from tests.providers.fakes.retired_models import RETIRED, RetiredModel, retired

FIELDS = {"model_name", "image", "image_tail", "prompt", "negative_prompt", "mode", "duration",
          "sound", "external_task_id", "callback_url", "cfg_scale", "watermark_info"}
MODELS = ("kling-v3", "kling-v2-6", "kling-v2-5-turbo", "kling-v2-1", "kling-v1-6", "kling-v1")
# Fields only some models take (Kling's API reference): ``sound`` from V2.6, ``cfg_scale`` on
# the V1.x models.
MODEL_ONLY_FIELDS = {"sound": ("kling-v3", "kling-v2-6"),
                     "cfg_scale": ("kling-v1", "kling-v1-5", "kling-v1-6")}
MODES = {"std", "pro", "4k"}
# fault name → (HTTP status, Kling code, message), as Kling's error code table pairs them
FAULTS: dict[str, tuple[int, int, str]] = {
    "rate_limit": (429, 1302, "Request rate limit exceeded"),
    "concurrency": (429, 1303, "Concurrent task limit exceeded"),
    "server": (500, 5000, "Internal server error"),
    "maintenance": (503, 5001, "Server temporarily unavailable"),
    "policy": (400, 1301, "Content security check failed: the image violates policy"),
    "platform_policy": (400, 1300, "Trigger strategy of the platform"),
    "balance": (429, 1102, "Resource pack depleted or expired"),
    "account": (429, 1100, "Account exception"),
    "no_permission": (403, 1103, "Unauthorized access to requested resource"),
    "ip_whitelist": (429, 1304, "Trigger the platform's IP whitelisting policy"),
    "auth": (401, 1000, "Authentication failed"),
}


@dataclass
class FakeTask:
    task_id: str
    external_task_id: str | None
    body: dict[str, Any]
    created: float
    ready_at: float
    fail_reason: str | None = None
    video: Path | None = None
    render_error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


class FakeKling:
    """State of the fake; :attr:`app` is the ASGI app to serve."""

    def __init__(self, media_dir: Path, *, access_key: str, secret_key: str,
                 processing_s: float = 0.6, fps: int = 30, retry_after_s: float = 0.2) -> None:
        self.media_dir = media_dir
        self.access_key = access_key
        self.secret_key = secret_key
        self.processing_s = processing_s
        self.fps = fps
        self.retry_after_s = retry_after_s
        self.tasks: dict[str, FakeTask] = {}
        self.submissions = 0  # accepted create calls (each one would be billed)
        self.requests: list[tuple[str, str]] = []
        self.fail_tasks_with: str | None = None  # next tasks end "failed" with this message
        self.models: tuple[str, ...] = MODELS
        self.retired_models: tuple[RetiredModel, ...] = RETIRED
        self._faults: list[tuple[str, str]] = []  # (method or "*", fault)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = Starlette(routes=[
            Route("/v1/videos/image2video", self.create, methods=["POST"]),
            Route("/v1/videos/image2video/{task_id}", self.query, methods=["GET"]),
            Route("/media/{name}", self.media, methods=["GET"]),
        ])

    def inject(self, fault: str, *, times: int = 1, method: str = "*") -> None:
        """Answer the next ``times`` API calls (of ``method``) with ``fault``."""
        assert fault in FAULTS, fault
        with self._lock:
            self._faults.extend([(method, fault)] * times)

    # --- helpers ------------------------------------------------------------------------

    def _error(self, status: int, code: int, message: str) -> JSONResponse:
        headers = {"Retry-After": f"{self.retry_after_s:g}"} if status == 429 else None
        return JSONResponse({"code": code, "message": message, "request_id": "req-fake"},
                            status_code=status, headers=headers)

    def _check(self, request: Request) -> JSONResponse | None:
        """Injected faults first, then the token."""
        self.requests.append((request.method, request.url.path))
        with self._lock:
            hit = next((i for i, (m, _) in enumerate(self._faults)
                        if m in ("*", request.method)), None)
            fault = self._faults.pop(hit)[1] if hit is not None else None
        if fault is not None:
            return self._error(*FAULTS[fault])
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return self._error(401, 1001, "Authorization is empty")
        try:
            claims = jwt.decode(header[7:], self.secret_key, algorithms=["HS256"],
                                options={"require": ["iss", "exp", "nbf"]})
        except jwt.ExpiredSignatureError:
            return self._error(401, 1004, "Authorization is expired")
        except jwt.ImmatureSignatureError:
            return self._error(401, 1003, "Authorization is not yet valid")
        except jwt.InvalidTokenError:
            return self._error(401, 1002, "Authorization is invalid")
        if claims["iss"] != self.access_key:
            return self._error(401, 1002, "Authorization is invalid")
        return None

    def _view(self, task: FakeTask, base_url: str) -> dict[str, Any]:
        now = time.time()
        status = "submitted" if now < task.created + 0.1 else "processing"
        data: dict[str, Any] = {
            "task_id": task.task_id, "task_status_msg": "",
            "task_info": {"external_task_id": task.external_task_id},
            "created_at": int(task.created * 1000), "updated_at": int(now * 1000)}
        if now >= task.ready_at and task.done.is_set():
            if task.fail_reason or task.render_error:
                status = "failed"
                data["task_status_msg"] = task.fail_reason or task.render_error
            else:
                status = "succeed"
                data["task_result"] = {"videos": [{
                    "id": f"vid-{task.task_id}", "url": f"{base_url}/media/{task.task_id}.mp4",
                    "duration": task.body["duration"]}]}
        data["task_status"] = status
        return data

    def _render(self, task: FakeTask, first: bytes, last: bytes) -> None:
        try:
            speech = spoken_line(task.body.get("prompt", "")) \
                if task.body.get("sound") == "on" else ""
            task.video = render_between(first, last, duration_s=int(task.body["duration"]),
                                        fps=self.fps, speech=speech,
                                        out_path=self.media_dir / f"{task.task_id}.mp4")
        except Exception as err:  # the fake reports any render failure as a failed task
            task.render_error = f"render failed: {err}"
        finally:
            task.done.set()

    # --- routes -------------------------------------------------------------------------

    async def create(self, request: Request) -> Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        try:
            body = await request.json()
        except ValueError:
            return self._error(400, 1200, "Request body is not JSON")
        model = body.get("model_name") if isinstance(body, dict) else None
        if isinstance(model, str) and model not in self.offered():
            return self._error(404, 1203, f"model_name {model} does not exist")
        problem, frames = validate_create(body)
        if problem:
            return self._error(400, 1201, problem)
        ext = body.get("external_task_id")
        with self._lock:
            if ext is not None and any(t.external_task_id == ext for t in self.tasks.values()):
                return self._error(400, 1201, "external_task_id already exists")
            task_id = f"kt{next(self._ids):06d}"
            now = time.time()
            task = FakeTask(task_id, ext, body, now, now + self.processing_s,
                            fail_reason=self.fail_tasks_with)
            self.tasks[task_id] = task
            self.submissions += 1
        threading.Thread(target=self._render, args=(task, *frames), daemon=True).start()
        return JSONResponse({"code": 0, "message": "SUCCEED", "request_id": "req-fake",
                             "data": {"task_id": task_id, "task_status": "submitted",
                                      "task_info": {"external_task_id": ext},
                                      "created_at": int(now * 1000),
                                      "updated_at": int(now * 1000)}})

    async def query(self, request: Request) -> Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        key = request.path_params["task_id"]
        task = self.tasks.get(key) or next(
            (t for t in self.tasks.values() if t.external_task_id == key), None)
        if task is None:  # the live API's answer, code 1201 with HTTP 400 (not a 404)
            return self._error(400, 1201, f"Task not found by id/external id: {key}")
        base = f"{request.url.scheme}://{request.url.netloc}"
        return JSONResponse({"code": 0, "message": "SUCCEED", "request_id": "req-fake",
                             "data": self._view(task, base)})

    def offered(self) -> list[str]:
        return [m for m in self.models
                if retired("kling", m, table=self.retired_models) is None]

    async def media(self, request: Request) -> Response:
        task = self.tasks.get(request.path_params["name"].removesuffix(".mp4"))
        if task is None or task.video is None:
            return Response(status_code=404)
        return FileResponse(task.video, media_type="video/mp4")


def validate_create(body: Any) -> tuple[str | None, tuple[bytes, bytes]]:
    """The first problem with a create body (as Kling words it), and the decoded frames."""
    none = (b"", b"")
    if not isinstance(body, dict):
        return "body must be a JSON object", none
    unknown = set(body) - FIELDS
    if unknown:
        return f"unknown fields: {sorted(unknown)}", none
    model = body.get("model_name")
    if model not in MODELS:
        return "model_name is invalid", none
    for name, models in MODEL_ONLY_FIELDS.items():
        if name in body and model not in models:
            return f"{name} is not supported by model {model}", none
    frames = []
    for name in ("image", "image_tail"):
        value = body.get(name)
        if not isinstance(value, str) or not value:
            return f"{name} is required", none
        if value.startswith("data:"):
            return f"{name} must be raw base64 without a data: prefix", none
        try:
            raw = base64.b64decode(value, validate=True)
            img = decode_image(raw)
        except (binascii.Error, ValueError) as err:
            return f"{name} is invalid: {err}", none
        if len(raw) > 10 * 1024 * 1024 or min(img.size) < 300:
            return f"{name} must be at most 10MB and at least 300px", none
        frames.append(raw)
    for name in ("prompt", "negative_prompt"):
        if name in body and (not isinstance(body[name], str) or len(body[name]) > 2500):
            return f"{name} must be a string of at most 2500 characters", none
    duration = body.get("duration", "5")
    if not isinstance(duration, str) or duration not in {str(n) for n in range(3, 16)}:
        return "duration must be a string between \"3\" and \"15\"", none
    if body.get("mode", "std") not in MODES:
        return "mode is invalid", none
    if body.get("sound", "off") not in ("on", "off"):
        return "sound must be \"on\" or \"off\"", none
    ext = body.get("external_task_id")
    if ext is not None and not isinstance(ext, str):
        return "external_task_id must be a string", none
    return None, (frames[0], frames[1])

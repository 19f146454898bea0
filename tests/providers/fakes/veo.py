"""A fake of Vertex AI's Veo endpoints, as the google-genai SDK calls them.

``POST /{version}/{model path}:predictLongRunning`` starts an operation and
``POST /{version}/{model path}:fetchPredictOperation`` with ``{"operationName"}`` reads it.
The fake checks the credentials: the key (``x-goog-api-key``, Vertex express mode) or, with
``google`` given, an OAuth bearer token that :class:`~tests.providers.fakes.google_cloud.
FakeGoogleCloud` issued for the cloud-platform scope (Application Default Credentials), on a
model path under the fake's own project and location. It checks the body's shape (one
instance with ``prompt``, ``image`` and ``lastFrame`` as ``{bytesBase64Encoded, mimeType}``;
``parameters`` with documented names and types, unknown ones refused) and runs each
operation from ``done: false`` to a response with the video inline (``bytesBase64Encoded``),
or, when ``storageUri`` was given, written to Cloud Storage as
``{storageUri}{operation id}/sample_0.mp4`` and answered as ``gcsUri``, or withheld by the
safety filters (``raiMediaFilteredCount``). The video speaks the prompt's quoted line when
``generateAudio`` is on. Faults: :meth:`FakeVeo.inject`.

Without ``storageUri`` the video comes back inline only while it is small enough
(:data:`MAX_INLINE_BYTES`, judged by the size Veo's video of that resolution and length would
have, :data:`BYTES_PER_S`): a larger one ends the operation with Vertex AI's error
(code 3, "Generated video is large, an output storage uri is required."). A model Vertex AI
does not serve, or no longer serves (:mod:`tests.providers.fakes.retired_models`), is 404
``NOT_FOUND``.
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

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.providers.fakes.google_cloud import CLOUD_PLATFORM, FakeGoogleCloud
from tests.providers.fakes.media import decode_image, render_between, spoken_line
from tests.providers.fakes.retired_models import RETIRED, RetiredModel, retired

MODELS = {"veo-3.1-fast-generate-001", "veo-3.1-generate-001", "veo-3.1-lite-generate-001",
          "veo-3.0-generate-001", "veo-3.0-fast-generate-001"}  # 3.0: refused once retired
# Vertex AI does not document its inline limit: an 8 s 1080p Veo video of about 26 MB is seen
# coming back inline, a 4K one is refused. The fake takes 32 MiB and Veo's bit rates as seen
# (720p about 10.2 Mbit/s, 1080p about 25.9 Mbit/s; 4K as 1080p times its four-fold pixels).
MAX_INLINE_BYTES = 32 * 1024 * 1024
BYTES_PER_S = {"720p": 1_300_000, "1080p": 3_300_000, "4k": 13_200_000}
TOO_LARGE = "Generated video is large, an output storage uri is required."
PARAMETERS = {"aspectRatio", "durationSeconds", "resolution", "seed", "negativePrompt",
              "generateAudio", "sampleCount", "personGeneration", "storageUri",
              "enhancePrompt", "compressionQuality", "fps", "pubsubTopic"}
FAULTS: dict[str, tuple[int, str, str]] = {
    "rate_limit": (429, "RESOURCE_EXHAUSTED", "Quota exceeded for aiplatform.googleapis.com"),
    "server": (503, "UNAVAILABLE", "The service is currently unavailable."),
    "auth": (401, "UNAUTHENTICATED", "API key not valid. Please pass a valid API key."),
    "policy": (400, "INVALID_ARGUMENT",
               "The prompt could not be submitted: it violates Vertex AI's usage guidelines"),
}


@dataclass
class FakeOperation:
    name: str
    instance: dict[str, Any]
    parameters: dict[str, Any]
    ready_at: float
    filtered: str | None = None
    video: Path | None = None
    render_error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


class FakeVeo:
    """State of the fake; :attr:`app` is the ASGI app to serve."""

    def __init__(self, media_dir: Path, *, api_key: str | None, processing_s: float = 0.6,
                 fps: int = 24, project: str = "fake-project", location: str = "us-central1",
                 google: FakeGoogleCloud | None = None) -> None:
        self.media_dir = media_dir
        self.api_key = api_key
        self.google = google  # the token issuer and the Cloud Storage of ADC callers
        self.location = location
        self.processing_s = processing_s
        self.fps = fps
        self.project = project
        self.operations: dict[str, FakeOperation] = {}
        self.submissions = 0
        self.filter_next_with: str | None = None  # the next operation ends filtered
        self.fail_next_with: str | None = None  # the next operation ends with this error
        self.retired_models: tuple[RetiredModel, ...] = RETIRED
        self.max_inline_bytes = MAX_INLINE_BYTES
        self._faults: list[tuple[str, str]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/{version}/{rest:path}", self.dispatch,
                                           methods=["POST"])])

    def inject(self, fault: str, *, times: int = 1, call: str = "*") -> None:
        """Answer the next ``times`` calls (``predictLongRunning``, ``fetchPredictOperation``
        or ``*``) with ``fault``."""
        assert fault in FAULTS, fault
        with self._lock:
            self._faults.extend([(call, fault)] * times)

    @staticmethod
    def _error(code: int, status: str, message: str) -> JSONResponse:
        return JSONResponse({"error": {"code": code, "message": message, "status": status}},
                            status_code=code)

    async def dispatch(self, request: Request) -> Response:
        rest: str = request.path_params["rest"]
        path, _, verb = rest.rpartition(":")
        with self._lock:
            hit = next((i for i, (c, _) in enumerate(self._faults) if c in ("*", verb)), None)
            fault = self._faults.pop(hit)[1] if hit is not None else None
        if fault is not None:
            return self._error(*FAULTS[fault])
        if not self._authenticated(request, path):
            return self._error(*FAULTS["auth"])
        try:
            body = await request.json()
        except ValueError:
            return self._error(400, "INVALID_ARGUMENT", "Invalid JSON payload")
        if verb == "predictLongRunning":
            return self._start(path, body)
        if verb == "fetchPredictOperation":
            return self._fetch(path, body)
        return self._error(404, "NOT_FOUND", f"unknown method {verb}")

    def _authenticated(self, request: Request, path: str) -> bool:
        """An express-mode key, or a cloud-platform token on this project's own paths."""
        key = request.headers.get("x-goog-api-key")
        if key is not None:
            return self.api_key is not None and key == self.api_key
        if self.google is None or not self.google.authorized(
                request.headers.get("authorization"), scopes={CLOUD_PLATFORM}):
            return False
        return path.startswith(f"projects/{self.project}/locations/{self.location}/")

    def _start(self, path: str, body: Any) -> Response:
        model = path.rpartition("/models/")[2]
        if not path.startswith(("publishers/google/models/", "projects/")) \
                or model not in MODELS or retired("veo", model, table=self.retired_models):
            return self._error(404, "NOT_FOUND", f"Publisher model {model} is not found")
        problem, frames = validate_predict(body)
        if problem:
            return self._error(400, "INVALID_ARGUMENT", problem)
        with self._lock:
            op_id = f"{next(self._ids):08d}-fake"
            name = (f"projects/{self.project}/locations/{self.location}/publishers/google/"
                    f"models/{model}/operations/{op_id}")
            op = FakeOperation(name, body["instances"][0], body["parameters"],
                               time.time() + self.processing_s, filtered=self.filter_next_with,
                               render_error=self.fail_next_with)
            self.filter_next_with = self.fail_next_with = None
            self.operations[name] = op
            self.submissions += 1
        threading.Thread(target=self._render, args=(op, *frames), daemon=True).start()
        return JSONResponse({"name": name})

    def _render(self, op: FakeOperation, first: bytes, last: bytes) -> None:
        try:
            speech = spoken_line(op.instance["prompt"]) \
                if op.parameters.get("generateAudio", True) else ""
            op.video = render_between(first, last,
                                      duration_s=int(op.parameters["durationSeconds"]),
                                      fps=self.fps, speech=speech,
                                      out_path=self.media_dir / f"{op.name.rpartition('/')[2]}.mp4")
        except Exception as err:  # the fake reports any render failure as an operation error
            op.render_error = str(err)
        finally:
            op.done.set()

    def _fetch(self, path: str, body: Any) -> Response:
        name = body.get("operationName") if isinstance(body, dict) else None
        op = self.operations.get(name) if isinstance(name, str) else None
        if op is None or not str(name).startswith(path + "/operations/"):
            return self._error(404, "NOT_FOUND", "Operation not found")
        if time.time() < op.ready_at or not op.done.is_set():
            return JSONResponse({"name": op.name})
        result: dict[str, Any] = {"name": op.name, "done": True}
        if op.render_error:
            result["error"] = {"code": 13, "message": op.render_error}
        elif op.video is not None and "storageUri" not in op.parameters \
                and self.inline_size(op, op.video) > self.max_inline_bytes:
            result["error"] = {"code": 3, "message": TOO_LARGE}
        elif op.filtered:
            result["response"] = {"raiMediaFilteredCount": 1,
                                  "raiMediaFilteredReasons": [op.filtered]}
        else:
            assert op.video is not None
            result["response"] = {
                "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
                "raiMediaFilteredCount": 0, "videos": [self._video(op, op.video)]}
        return JSONResponse(result)


    @staticmethod
    def inline_size(op: FakeOperation, video: Path) -> int:
        """The bytes Veo's video would have: the file's, or its resolution's rate times its
        length, whichever is larger (the fake's frames are small)."""
        rate = BYTES_PER_S.get(str(op.parameters.get("resolution", "720p")), 0)
        return max(video.stat().st_size, rate * int(op.parameters["durationSeconds"]))

    def _video(self, op: FakeOperation, video: Path) -> dict[str, Any]:
        """The answer's video: written to Cloud Storage when asked (``storageUri``), else
        inline."""
        storage = op.parameters.get("storageUri")
        if storage is None:
            return {"bytesBase64Encoded": base64.b64encode(video.read_bytes()).decode("ascii"),
                    "mimeType": "video/mp4"}
        assert self.google is not None, "storageUri needs the fake Cloud Storage"
        uri = f"{storage.rstrip('/')}/{op.name.rpartition('/')[2]}/sample_0.mp4"
        self.google.put(uri, video.read_bytes())
        return {"gcsUri": uri, "mimeType": "video/mp4"}


def _frame(value: Any, name: str) -> tuple[str | None, bytes]:
    if not isinstance(value, dict) or set(value) - {"bytesBase64Encoded", "mimeType", "gcsUri"}:
        return f"instances[0].{name} must be {{bytesBase64Encoded, mimeType}}", b""
    if value.get("mimeType") not in ("image/png", "image/jpeg"):
        return f"instances[0].{name}.mimeType must be image/png or image/jpeg", b""
    try:
        raw = base64.b64decode(value.get("bytesBase64Encoded") or "", validate=True)
        decode_image(raw)
    except (binascii.Error, ValueError) as err:
        return f"instances[0].{name} is not a valid image: {err}", b""
    return None, raw


def validate_predict(body: Any) -> tuple[str | None, tuple[bytes, bytes]]:
    """The first problem with a ``predictLongRunning`` body, and the decoded frames."""
    none = (b"", b"")
    if not isinstance(body, dict) or set(body) != {"instances", "parameters"}:
        return "body must have exactly instances and parameters", none
    instances, params = body["instances"], body["parameters"]
    if not isinstance(instances, list) or len(instances) != 1 \
            or not isinstance(instances[0], dict):
        return "instances must hold one instance", none
    instance = instances[0]
    unknown = set(instance) - {"prompt", "image", "lastFrame"}
    if unknown:
        return f"unknown instance fields {sorted(unknown)}", none
    if not isinstance(instance.get("prompt"), str) or not instance["prompt"]:
        return "instances[0].prompt is required", none
    problem, first = _frame(instance.get("image"), "image")
    if problem:
        return problem, none
    problem, last = _frame(instance.get("lastFrame"), "lastFrame")
    if problem:
        return problem, none
    if not isinstance(params, dict) or set(params) - PARAMETERS:
        return f"unknown parameters {sorted(set(params) - PARAMETERS)}", none
    checks = [
        (params.get("aspectRatio") in ("16:9", "9:16"), "aspectRatio must be 16:9 or 9:16"),
        (params.get("durationSeconds") in (4, 6, 8), "durationSeconds must be 4, 6 or 8"),
        (params.get("resolution", "720p") in ("720p", "1080p", "4k"), "resolution is invalid"),
        (params.get("resolution", "720p") == "720p" or params.get("durationSeconds") == 8,
         "1080p and 4k need durationSeconds 8"),
        (isinstance(params.get("seed", 0), int) and 0 <= params.get("seed", 0) < 2**32,
         "seed must be a uint32"),
        (isinstance(params.get("generateAudio", True), bool), "generateAudio must be a bool"),
        (params.get("sampleCount", 1) in (1, 2, 3, 4), "sampleCount must be 1 to 4"),
        (params.get("personGeneration", "allow_adult") == "allow_adult",
         "image-to-video accepts personGeneration allow_adult only"),
        (isinstance(params.get("negativePrompt", ""), str), "negativePrompt must be a string"),
        (str(params.get("storageUri", "gs://")).startswith("gs://"),
         "storageUri must be a gs:// URI"),
    ]
    for ok, message in checks:
        if not ok:
            return message, none
    return None, (first, last)

"""Kling 3.0 image-to-video through Kling's REST API.

``submit`` creates an ``image2video`` task (first frame ``image``, last frame ``image_tail``,
both raw base64 without a ``data:`` prefix) carrying our deterministic ``external_task_id``,
the prompt ending with the spoken line in quotes when sound is on (see
:func:`~ugen.providers.vendor.video_prompt`); ``poll`` reads the task by id and, when it
``succeed``-ed, downloads ``task_result.videos[0].url`` to ``<work_dir>/<task id>.mp4``.

Never double-billed: before creating a task, ``submit`` looks the external id up (Kling lets a
task be queried by ``task_id`` or ``external_task_id``, and external ids are unique per
account), so a submit step re-run after a crash returns the task it already created. A
task Kling no longer knows raises :class:`~ugen.providers.vendor.VendorTaskGoneError` from
``poll``: the one case where submitting the segment again is right.

Kling answers a lookup of an unknown task or external id with HTTP 400 and code 1201 ("Task
not found by id/external id"), so every first submit sees that answer: it is read as "not
found" (see :mod:`ugen.providers.kling._errors`), never as a failed request.

Fields a model does not take are not sent (:data:`MODEL_FIELDS`): ``sound`` exists from
V2.6 on; a model the table does not know gets the fields every image-to-video model takes.
Unconfirmed points (Kling's public docs, late 2026): how to ask for native 4K is
undocumented (the ``mode`` comes from configuration, ``4k`` by default for ``kling3_4k``).
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from ugen.providers.base import (
    PermanentProviderError,
    SegmentRequest,
    VideoPoll,
)
from ugen.providers.kling._auth import TokenSource
from ugen.providers.kling._client import PROVIDER, KlingClient
from ugen.providers.vendor import (
    Timeouts,
    VendorTaskGoneError,
    VendorVideoModel,
    download,
    external_task_id,
    video_prompt,
)

DEFAULT_BASE_URL = "https://api-singapore.klingai.com"
TASKS_PATH = "/v1/videos/image2video"
MIN_DURATION_S, MAX_DURATION_S = 3, 15
MAX_PROMPT_CHARS = 2500
# The image2video fields beyond those every model takes (model_name, image, image_tail,
# prompt, negative_prompt, duration, mode, external_task_id), per model: Kling's API
# reference documents ``sound`` for V2.6 and later.
MODEL_FIELDS: dict[str, frozenset[str]] = {
    "kling-v3": frozenset({"sound"}),
    "kling-v2-6": frozenset({"sound"}),
}


class KlingVideoProvider:
    """The :class:`~ugen.providers.base.VideoProvider` for Kling models."""

    def __init__(self, *, access_key: SecretStr, secret_key: SecretStr,
                 models: Mapping[str, VendorVideoModel], work_dir: Path,
                 base_url: str = DEFAULT_BASE_URL, timeouts: Timeouts | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.models = {k: m for k, m in models.items() if m.vendor == "kling"}
        self.work_dir = Path(work_dir)
        self.timeouts = timeouts or Timeouts()
        self._http = httpx.Client(base_url=base_url, transport=transport,
                                  follow_redirects=True)
        self._client = KlingClient(self._http, TokenSource(access_key, secret_key))

    def close(self) -> None:
        self._http.close()

    def submit(self, request: SegmentRequest) -> str:
        external_id = external_task_id(request)
        existing = self.find_task(external_id)
        if existing is not None:  # created before a crash: poll it (failed ones report why)
            return str(existing["task_id"])
        body = self.request_body(request, external_id)
        data = self._client.call("POST", TASKS_PATH, json=body, timeout=self.timeouts.submit_s)
        task_id = data.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            raise PermanentProviderError("kling: the create answer has no task_id",
                                         provider=PROVIDER)
        return task_id

    def find_task(self, task_or_external_id: str) -> dict[str, Any] | None:
        """The task, or None when Kling does not know the id."""
        try:
            return self._client.call("GET", f"{TASKS_PATH}/{task_or_external_id}",
                                     timeout=self.timeouts.poll_s, task_path=True)
        except VendorTaskGoneError:
            return None

    def request_body(self, request: SegmentRequest, external_id: str) -> dict[str, Any]:
        """The ``image2video`` body for ``request`` (field names and types as documented)."""
        model = self.models.get(request.model_id)
        if model is None:
            raise PermanentProviderError(
                f"kling: no Kling mapping for video model {request.model_id!r}",
                provider=PROVIDER)
        seconds = round(request.duration_s)
        if not MIN_DURATION_S <= seconds <= MAX_DURATION_S:
            raise PermanentProviderError(
                f"kling: duration {request.duration_s:g} s is outside "
                f"{MIN_DURATION_S}–{MAX_DURATION_S} s", provider=PROVIDER)
        extra = MODEL_FIELDS.get(model.vendor_model, frozenset())
        sound = request.sound and "sound" in extra  # a silent model is not told the line
        body: dict[str, Any] = {
            "model_name": model.vendor_model,
            "image": _b64(request.first_frame),
            "image_tail": _b64(request.last_frame),
            "prompt": video_prompt(dataclasses.replace(request, sound=sound),
                                   limit=MAX_PROMPT_CHARS),
            "duration": str(seconds),
            "external_task_id": external_id,
        }
        if "sound" in extra:
            body["sound"] = "on" if sound else "off"
        if model.mode:
            body["mode"] = model.mode
        if model.negative_prompt:
            body["negative_prompt"] = model.negative_prompt[:2500]
        return body

    def poll(self, task_id: str) -> VideoPoll:
        data = self._client.call("GET", f"{TASKS_PATH}/{task_id}",
                                 timeout=self.timeouts.poll_s, task_path=True)
        status = data.get("task_status")
        if status in ("submitted", "processing"):
            return VideoPoll("pending")
        if status == "failed":
            return VideoPoll("failed", error=f"kling: {data.get('task_status_msg') or 'failed'}")
        if status != "succeed":
            raise PermanentProviderError(f"kling: unknown task_status {status!r}",
                                         provider=PROVIDER, request_id=task_id)
        videos = (data.get("task_result") or {}).get("videos") or []
        url = videos[0].get("url") if videos and isinstance(videos[0], dict) else None
        if not isinstance(url, str) or not url:
            return VideoPoll("failed", error="kling: the task succeeded without a video url")
        out = self.work_dir / f"{_safe(task_id)}.mp4"
        if not out.exists():
            download(self._http, url, out, vendor=PROVIDER, timeouts=self.timeouts)
        return VideoPoll("succeeded", output=out)


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


def _safe(task_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in task_id)[:120]

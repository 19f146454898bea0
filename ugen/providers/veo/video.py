"""Veo 3.1 (Fast and Quality) image-to-video through the ``google-genai`` SDK on Vertex AI.

``submit`` calls ``client.models.generate_videos`` (first frame as ``image``, last frame as
``config.last_frame``, aspect ratio, 4/6/8 s, resolution, seed, negative prompt, audio, one
video; the prompt ends with the spoken line in quotes) and returns the long-running
operation's name; ``poll`` fetches the operation (``client.operations.get``) and, when done,
writes the video to ``<work_dir>/<operation id>.mp4``: from its inline bytes
(``video.video_bytes``), or, when ``UGEN_VEO_OUTPUT_GCS_URI`` is set, from the ``gs://`` URI
Vertex wrote it to (``video.uri``), downloaded with the Cloud Storage JSON API. The SDK
cannot fetch it: ``client.files.download`` is for the Gemini API only and raises on Vertex.
SDK types never leave this module; SDK and google-auth errors are translated here (see
:func:`_translate` and :mod:`ugen.providers.veo._storage`).

Credentials: an express-mode API key (``UGEN_VEO_API_KEY``), or Application Default
Credentials for ``UGEN_VEO_PROJECT`` (google-auth reads ``GOOGLE_APPLICATION_CREDENTIALS``, the
gcloud user credentials or the metadata server; the SDK asks for the cloud-platform scope).
The Cloud Storage download always uses ADC (read-only storage scope), also in express mode;
``STORAGE_EMULATOR_HOST`` points it at another Cloud Storage endpoint, as it does Google's
storage clients.

Vertex AI documents no idempotency key for ``predictLongRunning``. To keep a re-run submit
step from paying twice, the operation name is journalled under ``work_dir`` by our
deterministic segment id the moment Vertex answers, and a re-run returns it; a crash in
the instant between Vertex's answer and that write can still submit twice (unconfirmed
alternatives: none documented).

Without ``output_gcs_uri`` the video comes back inline (``video_bytes``), which Vertex does
for 720p and 1080p; a larger video fails the operation with "Generated video is large, an
output storage uri is required", so a model of a resolution Vertex does not return inline
(4K, :func:`~ugen.providers.vendor.needs_output_bucket`) is refused before submitting, and
``prepare`` refuses such a job up front (:func:`~ugen.providers.video_router.
video_output_problem`). Unconfirmed: ``1080p``/``4k`` are said to need 8 s; the exact inline
size limit is undocumented.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import google.auth.exceptions
import httpx
from google.genai import Client, errors, types

from ugen.providers.base import (
    ContentPolicyError,
    PermanentProviderError,
    ProviderError,
    SegmentRequest,
    TransientProviderError,
    VideoPoll,
)
from ugen.providers.vendor import (
    MissingCredentialsError,
    Timeouts,
    VendorAuthError,
    VendorQuotaError,
    VendorTaskGoneError,
    VendorVideoModel,
    download,
    external_task_id,
    needs_output_bucket,
    retry_after_s,
    transport_error,
    video_prompt,
)
from ugen.providers.veo._storage import (
    GCS_BASE_URL,
    AdcTokenSource,
    auth_error,
    media_url,
    storage_endpoint,
)

if TYPE_CHECKING:
    from ugen.core.config import Settings

PROVIDER = "veo"
DURATIONS_S = (4, 6, 8)
MAX_PROMPT_CHARS = 4000  # an assumption: Vertex documents no prompt limit for Veo
T = TypeVar("T")


class VeoVideoProvider:
    """The :class:`~ugen.providers.base.VideoProvider` for Veo models."""

    def __init__(self, client: Client, *, models: Mapping[str, VendorVideoModel],
                 work_dir: Path, timeouts: Timeouts | None = None,
                 output_gcs_uri: str | None = None,
                 gcs_token: Callable[[], str] | None = None,
                 gcs_base_url: str = GCS_BASE_URL) -> None:
        self._client = client
        self.models = {k: m for k, m in models.items() if m.vendor == "veo"}
        self.work_dir = Path(work_dir)
        self.timeouts = timeouts or Timeouts()
        self.output_gcs_uri = output_gcs_uri
        self._gcs_token = gcs_token
        self.gcs_base_url = gcs_base_url.rstrip("/")

    @classmethod
    def from_settings(cls, settings: Settings, *, models: Mapping[str, VendorVideoModel],
                      work_dir: Path, timeouts: Timeouts) -> VeoVideoProvider:
        """A Vertex AI client from ``UGEN_VEO_*``: an express-mode API key, or a project
        with Application Default Credentials."""
        options = types.HttpOptions(base_url=settings.veo_base_url,
                                    retry_options=types.HttpRetryOptions(attempts=1))
        if settings.veo_api_key is not None:
            client = Client(vertexai=True, api_key=settings.veo_api_key.get_secret_value(),
                            http_options=options)
        elif settings.veo_project:
            client = Client(vertexai=True, project=settings.veo_project,
                            location=settings.veo_location, http_options=options)
        else:
            raise MissingCredentialsError("veo: set UGEN_VEO_API_KEY or UGEN_VEO_PROJECT",
                                          provider=PROVIDER)
        return cls(client, models=models, work_dir=work_dir, timeouts=timeouts,
                   output_gcs_uri=settings.veo_output_gcs_uri, gcs_token=AdcTokenSource(),
                   gcs_base_url=storage_endpoint())

    # --- submit ---------------------------------------------------------------------------

    def submit(self, request: SegmentRequest) -> str:
        journal = self.work_dir / "submitted" / f"{external_task_id(request)}.json"
        known = _read_name(journal)
        if known is not None:
            return known
        model = self._model(request.model_id)
        if needs_output_bucket(model) and not self.output_gcs_uri:  # before paying for it
            raise PermanentProviderError(
                f"veo: {request.model_id} renders at {model.resolution}, which Vertex AI "
                f"returns only through Cloud Storage: set UGEN_VEO_OUTPUT_GCS_URI",
                provider=PROVIDER)
        config = self.video_config(request, model)
        operation = _call(lambda: self._client.models.generate_videos(
            model=model.vendor_model, prompt=video_prompt(request, limit=MAX_PROMPT_CHARS),
            image=_image(request.first_frame),
            config=config))
        name = operation.name
        if not name:
            raise PermanentProviderError("veo: the operation has no name", provider=PROVIDER)
        journal.parent.mkdir(parents=True, exist_ok=True)
        tmp = journal.with_name(f".{journal.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"operation": name}))
        os.replace(tmp, journal)
        return name

    def _model(self, model_id: str) -> VendorVideoModel:
        model = self.models.get(model_id)
        if model is None:
            raise PermanentProviderError(f"veo: no Veo mapping for video model {model_id!r}",
                                         provider=PROVIDER)
        return model

    def video_config(self, request: SegmentRequest,
                     model: VendorVideoModel) -> types.GenerateVideosConfig:
        seconds = round(request.duration_s)
        if seconds not in DURATIONS_S:
            raise PermanentProviderError(f"veo: duration {request.duration_s:g} s is not one "
                                         f"of {DURATIONS_S}", provider=PROVIDER)
        if request.width == request.height:
            raise PermanentProviderError("veo: square video is not offered (9:16 or 16:9)",
                                         provider=PROVIDER)
        return types.GenerateVideosConfig(
            last_frame=_image(request.last_frame),
            aspect_ratio="9:16" if request.height > request.width else "16:9",
            duration_seconds=seconds, resolution=model.resolution,
            seed=request.seed % 2**32, negative_prompt=model.negative_prompt,
            generate_audio=request.sound, number_of_videos=1,
            person_generation=model.person_generation, output_gcs_uri=self.output_gcs_uri,
            http_options=types.HttpOptions(timeout=int(self.timeouts.submit_s * 1000)),
        )

    # --- poll -----------------------------------------------------------------------------

    def poll(self, task_id: str) -> VideoPoll:
        config = types.GetOperationConfig(
            http_options=types.HttpOptions(timeout=int(self.timeouts.poll_s * 1000)))
        pending = types.GenerateVideosOperation.model_validate({"name": task_id})
        operation = _call(lambda: self._client.operations.get(pending, config=config),
                          task_path=True)
        if not operation.done:
            return VideoPoll("pending")
        if operation.error:
            message = str(operation.error.get("message") or operation.error)
            if "storage uri" in message.lower() and not self.output_gcs_uri:
                message += " (set UGEN_VEO_OUTPUT_GCS_URI to a gs:// bucket prefix)"
            return VideoPoll("failed", error=f"veo: {message}")
        response = operation.response
        if response is not None and response.rai_media_filtered_count:
            reasons = "; ".join(response.rai_media_filtered_reasons or ()) or "no reason given"
            raise ContentPolicyError(f"veo: the video was withheld by the safety filters: "
                                     f"{reasons}", provider=PROVIDER, request_id=task_id)
        videos = (response.generated_videos if response is not None else None) or []
        video = videos[0].video if videos else None
        if video is None:
            return VideoPoll("failed", error="veo: the operation finished without a video")
        out = self.work_dir / f"{_safe(task_id.rpartition('/')[2])}.mp4"
        if not out.exists():
            self._save(video, out)
        return VideoPoll("succeeded", output=out)

    def _save(self, video: types.Video, out: Path) -> None:
        if video.video_bytes:
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
            tmp.write_bytes(video.video_bytes)
            os.replace(tmp, out)
            return
        uri = video.uri or ""
        if not uri.startswith("gs://") or self._gcs_token is None:
            raise PermanentProviderError(f"veo: cannot fetch the video at {uri!r}",
                                         provider=PROVIDER)
        headers = {"Authorization": f"Bearer {self._gcs_token()}"}
        with httpx.Client() as http:
            download(http, media_url(uri, base_url=self.gcs_base_url), out, vendor=PROVIDER,
                     timeouts=self.timeouts, headers=headers)


def _call(fn: Callable[[], T], *, task_path: bool = False) -> T:
    try:
        return fn()
    except errors.APIError as err:
        raise _translate(err, task_path=task_path) from err
    except httpx.HTTPError as err:
        raise transport_error(PROVIDER, err) from err
    except google.auth.exceptions.GoogleAuthError as err:  # ADC: no credentials, or refused
        raise auth_error(err) from err


def _translate(err: errors.APIError, *, task_path: bool) -> ProviderError:
    """The provider error for an SDK error (the vendor's message, never a key)."""
    code, status = err.code, err.status or ""
    message = f"veo: {err.message or status or 'error'} (HTTP {code} {status})".rstrip()
    response = err.response if isinstance(err.response, httpx.Response) else None
    if code in (401, 403) or status in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        return VendorAuthError(message, provider=PROVIDER)
    if code == 429 or status == "RESOURCE_EXHAUSTED":
        wait = retry_after_s(response) if response is not None else None
        return TransientProviderError(message, provider=PROVIDER,
                                      retry_after=2.0 if wait is None else wait)
    if code >= 500:
        return TransientProviderError(message, provider=PROVIDER)
    if code == 404 and task_path:
        return VendorTaskGoneError(message, provider=PROVIDER)
    lowered = (err.message or "").lower()
    if any(word in lowered for word in ("safety", "usage guidelines", "responsible ai")):
        return ContentPolicyError(message, provider=PROVIDER)
    if status == "FAILED_PRECONDITION" and "billing" in lowered:
        return VendorQuotaError(message, provider=PROVIDER)
    return PermanentProviderError(message, provider=PROVIDER)


def _image(path: Path) -> types.Image:
    mime = "image/jpeg" if path.suffix.lower() in (".jpg", ".jpeg") else "image/png"
    return types.Image(image_bytes=path.read_bytes(), mime_type=mime)


def _read_name(path: Path) -> str | None:
    try:
        data: Any = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    name = data.get("operation") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)[:120]

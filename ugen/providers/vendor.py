"""What every vendor video adapter shares: the model mapping, vendor errors and HTTP helpers.

The job's ``video_model`` (``veo3_fast``, ``kling3_std`` …) maps to a vendor, the vendor's
model id and its settings in ``ugen/catalog/video_vendors.toml`` (or the file named by
``UGEN_VIDEO_VENDORS_FILE``), never in code.

Errors added here (see :mod:`ugen.providers.base` for the root)::

    PermanentProviderError
    ├── VendorAuthError        the key was refused (never retried; the key is never shown)
    ├── VendorQuotaError       the account's balance or resource pack is exhausted
    ├── VendorConfigError      the vendor refuses this account or machine as set up (an IP
    │                          allow-list, an account flag): fixed by the operator, never
    │                          by retrying
    ├── VendorTaskGoneError    the vendor no longer knows the task: the one case where
    │                          submitting the segment again is right
    └── MissingCredentialsError  the vendor was chosen but its keys are not configured
"""

from __future__ import annotations

import email.utils
import hashlib
import os
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx

from ugen.providers.base import (
    PermanentProviderError,
    SegmentRequest,
    TaskGoneError,
    TransientProviderError,
)

Vendor = Literal["kling", "veo"]
VENDORS: tuple[Vendor, ...] = ("kling", "veo")
_DEFAULT_FILE = Path(__file__).resolve().parents[1] / "catalog" / "video_vendors.toml"


class VendorAuthError(PermanentProviderError):
    """The vendor refused our credentials."""


class VendorQuotaError(PermanentProviderError):
    """The vendor account has no balance left."""


class VendorConfigError(PermanentProviderError):
    """The vendor refuses us as configured (for example an IP allow-list): not retried."""


class VendorTaskGoneError(TaskGoneError):
    """The vendor does not know the task (expired or never created): resubmit."""


class MissingCredentialsError(PermanentProviderError):
    """A vendor adapter is selected but its keys are not configured."""


@dataclass(frozen=True)
class OfferedModel:
    """One model a vendor lists as available to our key (``ugen doctor --check-network``)."""

    id: str
    shutdown_date: str | None = None  # OpenAI lists an announced shutdown (YYYY-MM-DD)
    capabilities: tuple[str, ...] = ()  # what the listing says it does, where it says so


@dataclass(frozen=True)
class VendorVideoModel:
    """How one catalog video model is called at its vendor."""

    model_id: str  # the catalog id, e.g. "kling3_std"
    vendor: Vendor
    vendor_model: str  # e.g. "kling-v3", "veo-3.1-fast-generate-001"
    mode: str | None = None  # Kling: std | pro | 4k
    resolution: str | None = None  # Veo: 720p | 1080p | 4k
    negative_prompt: str | None = None
    person_generation: str | None = None  # Veo


VEO_INLINE_RESOLUTIONS = frozenset({"720p", "1080p"})
"""Veo resolutions Vertex AI returns inline (``bytesBase64Encoded``) when no output bucket is
set: an 8 s 1080p video (about 26 MB) comes back inline; a 4K one is refused with "Generated
video is large, an output storage uri is required"."""


def needs_output_bucket(model: VendorVideoModel) -> bool:
    """Whether Vertex AI would only write ``model``'s videos to Cloud Storage."""
    return model.vendor == "veo" and (model.resolution or "720p") not in VEO_INLINE_RESOLUTIONS


_models_lock = threading.Lock()
_models_cache: dict[Path, tuple[tuple[int, int, int], dict[str, VendorVideoModel]]] = {}


def load_vendor_models(path: Path | None = None) -> dict[str, VendorVideoModel]:
    """The catalog model id → vendor call mapping, from TOML.

    The file is parsed again only when it changed (its modification time, size or inode):
    every job created reads the mapping.

    Raises:
        ValueError: an entry names an unknown vendor or lacks ``vendor_model``.
    """
    path = path or _DEFAULT_FILE
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
    with _models_lock:
        cached = _models_cache.get(path)
    if cached is not None and cached[0] == stamp:
        return dict(cached[1])
    models = _parse_vendor_models(path)
    with _models_lock:
        _models_cache[path] = (stamp, models)
    return dict(models)


def _parse_vendor_models(path: Path) -> dict[str, VendorVideoModel]:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    models: dict[str, VendorVideoModel] = {}
    for model_id, entry in data.get("models", {}).items():
        vendor = entry.get("vendor")
        if vendor not in VENDORS or not entry.get("vendor_model"):
            raise ValueError(f"video vendor entry {model_id!r}: vendor must be one of "
                             f"{VENDORS} and vendor_model set")
        models[model_id] = VendorVideoModel(
            model_id=model_id, vendor=vendor, vendor_model=str(entry["vendor_model"]),
            mode=entry.get("mode"), resolution=entry.get("resolution"),
            negative_prompt=entry.get("negative_prompt"),
            person_generation=entry.get("person_generation"),
        )
    return models


@dataclass(frozen=True)
class Timeouts:
    """Bounds per call type, in seconds."""

    submit_s: float = 60.0
    poll_s: float = 20.0
    download_s: float = 300.0
    max_download_bytes: int = 1024 * 1024 * 1024


def external_task_id(request: SegmentRequest) -> str:
    """Our deterministic id of one segment attempt (job, run, segment, attempt seed, model).

    ``out_path`` names the job, run and segment; ``seed`` changes with each QA attempt. The
    same attempt gives the same id in any process, so a submit step that runs twice after a
    crash finds the task it already created instead of paying for a second one.
    """
    parts = [str(request.out_path), str(request.seed), request.model_id, str(request.duration_s)]
    if request.submission:
        parts.append(f"submission{request.submission}")  # a lost task is a new task
    blob = "|".join(parts)
    return "ugen-" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def video_prompt(request: SegmentRequest, *, limit: int) -> str:
    """The segment's motion prompt, ending with the line the creator speaks, in quotes.

    With sound on, the video model's native audio is the creator's speech (converted to the
    job's voice in the ``audio`` stage), so the model must be told the words: Google's Veo
    prompt guide asks for dialogue in quotes (``A woman says, "..."``); Kling's native audio
    is prompted the same way (third-party guides; Kling's API reference is silent). The
    motion prompt is shortened, never the line, to fit ``limit`` characters.
    """
    line = " ".join(request.spoken_line.split()).replace('"', "'")
    if not request.sound or not line:
        return request.prompt[:limit]
    said = f'The creator says: "{line}"'[:limit]
    room = limit - len(said) - 1
    motion = request.prompt[:room].rstrip() if room > 0 else ""
    return f"{motion} {said}" if motion else said


def retry_after_s(response: httpx.Response) -> float | None:
    """``Retry-After`` as seconds (either form the RFC allows), or None."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def transport_error(vendor: str, err: httpx.HTTPError) -> TransientProviderError:
    """A timeout or connection failure, as a retryable error (no URL query, no headers)."""
    kind = "timed out" if isinstance(err, httpx.TimeoutException) else "connection failed"
    return TransientProviderError(f"{vendor}: request {kind} ({type(err).__name__})",
                                  provider=vendor)


def download(client: httpx.Client, url: str, out_path: Path, *, vendor: str,
             timeouts: Timeouts, headers: dict[str, str] | None = None) -> Path:
    """Stream ``url`` to ``out_path`` atomically, within the size and time limits.

    Raises:
        TransientProviderError: a timeout, connection failure, 429 or 5xx.
        PermanentProviderError: any other HTTP error, or the file is over the size limit.
    """
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.{threading.get_ident()}.part")
    deadline = time.monotonic() + timeouts.download_s
    try:
        with client.stream("GET", url, headers=headers or {},
                           timeout=min(timeouts.download_s, 60.0)) as response:
            if response.status_code == 429 or response.status_code >= 500:
                raise TransientProviderError(
                    f"{vendor}: download answered HTTP {response.status_code}",
                    provider=vendor, retry_after=retry_after_s(response))
            if response.status_code >= 400:
                raise PermanentProviderError(
                    f"{vendor}: download answered HTTP {response.status_code}", provider=vendor)
            size = 0
            with tmp.open("wb") as fh:
                for chunk in response.iter_bytes(1 << 16):
                    size += len(chunk)
                    if size > timeouts.max_download_bytes:
                        raise PermanentProviderError(
                            f"{vendor}: video larger than {timeouts.max_download_bytes} bytes",
                            provider=vendor)
                    if time.monotonic() > deadline:
                        raise TransientProviderError(
                            f"{vendor}: download took longer than {timeouts.download_s:g} s",
                            provider=vendor)
                    fh.write(chunk)
        if size == 0:
            raise TransientProviderError(f"{vendor}: the video download was empty",
                                         provider=vendor)
        os.replace(tmp, out_path)
    except httpx.HTTPError as err:
        raise transport_error(vendor, err) from err
    finally:
        tmp.unlink(missing_ok=True)
    return out_path

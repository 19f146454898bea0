"""A fake ElevenLabs API: speech-to-speech and forced alignment, with real audio.

It checks what the documentation asks of a request: the ``xi-api-key`` header, multipart
field names (``audio``, ``model_id``, ``remove_background_noise``, ``file_format`` for
speech-to-speech; ``file`` and ``text`` for alignment), the STS model id and the
``output_format`` query. Speech-to-speech answers an MP3 of the input pitched up (same
duration); alignment spreads the text's words over the non-silent stretches of the real audio.
Scripted failures (:class:`~tests.providers.fakes.faults.Faults`) answer first.
``GET /v1/models`` lists :data:`MODELS` (with ``can_do_voice_conversion``); a speech-to-speech
call with a model that is not a listed voice-conversion model, or is shut down
(:mod:`tests.providers.fakes.retired_models`), is refused with ``model_not_found``.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.providers.fakes.faults import Faults
from tests.providers.fakes.retired_models import RETIRED, RetiredModel, retired

STS_MODELS = ("eleven_multilingual_sts_v2", "eleven_english_sts_v2")
# ElevenLabs' models page on 2026-12-05 (elevenlabs.io/docs/overview/models).
MODELS = (*STS_MODELS, "eleven_v3", "eleven_multilingual_v2", "eleven_flash_v2_5",
          "eleven_flash_v2", "eleven_turbo_v2_5", "eleven_turbo_v2", "eleven_ttv_v3",
          "eleven_multilingual_ttv_v2", "scribe_v2")
OUTPUT_FORMATS = ("mp3_44100_128", "mp3_44100_192", "mp3_22050_32", "pcm_16000", "pcm_24000",
                  "pcm_44100")
_VOICE_ID = re.compile(r"^[A-Za-z0-9]{20}$")
_RATE = 16000
_PITCH_UP = "aresample=44100,asetrate=44100*1.12,aresample=44100,atempo=1/1.12"  # same length


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"detail": {"status": code, "message": message}}, status_code=status)


def voiced_regions(pcm: np.ndarray, rate: int = _RATE) -> list[tuple[float, float]]:
    """Stretches (seconds) whose 20 ms RMS is above a tenth of the loudest frame's."""
    hop = rate // 50
    frames = len(pcm) // hop
    if frames == 0:
        return []
    rms = np.sqrt(np.mean(pcm[: frames * hop].reshape(frames, hop).astype(np.float64) ** 2,
                          axis=1))
    voiced = rms > max(rms.max() * 0.1, 1e-6)
    regions: list[tuple[float, float]] = []
    start: int | None = None
    for i, on in enumerate([*voiced.tolist(), False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            if regions and start * 0.02 - regions[-1][1] < 0.15:
                regions[-1] = (regions[-1][0], i * 0.02)
            else:
                regions.append((start * 0.02, i * 0.02))
            start = None
    return regions


def spread_words(words: list[str], regions: list[tuple[float, float]]) -> list[dict[str, Any]]:
    """Place words one after another over the voiced time, each by its letter count."""
    total = sum(b - a for a, b in regions)
    weights = [max(1, sum(ch.isalnum() for ch in w)) for w in words]
    scale = total / sum(weights)
    out: list[dict[str, Any]] = []
    cursor = 0.0  # seconds of voiced time used

    def at(voiced_s: float) -> float:
        for a, b in regions:
            if voiced_s <= b - a + 1e-9:
                return a + voiced_s
            voiced_s -= b - a
        return regions[-1][1]

    for word, weight in zip(words, weights, strict=True):
        start, cursor = at(cursor), cursor + weight * scale
        out.append({"text": word, "start": round(start, 3), "end": round(at(cursor), 3),
                    "loss": 0.12})
    return out


@dataclass
class FakeElevenLabs:
    """The fake's state: its key, what it received, the failures to answer next."""

    api_key: str
    faults: Faults = field(default_factory=Faults)
    requests: list[dict[str, Any]] = field(default_factory=list)
    models: tuple[str, ...] = MODELS
    retired_models: tuple[RetiredModel, ...] = RETIRED

    def offered(self) -> list[str]:
        return [m for m in self.models
                if retired("elevenlabs", m, table=self.retired_models) is None]

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/v1/models", self._list_models, methods=["GET"]),
            # The API reference names the speech-to-speech path; SDK 2.x calls the newer
            # voice-changer one. Both are served.
            Route("/v1/speech-to-speech/{voice_id}", self._sts, methods=["POST"]),
            Route("/v1/voice-changer/{voice_id}", self._sts, methods=["POST"]),
            Route("/v1/forced-alignment", self._align, methods=["POST"]),
        ])

    async def _guard(self, request: Request) -> Response | None:
        if request.headers.get("xi-api-key") != self.api_key:
            return _error(401, "invalid_api_key", "Invalid API key")
        fault = self.faults.pop()
        if fault is not None:
            return JSONResponse(fault.body, status_code=fault.status, headers=fault.headers)
        return None

    async def _list_models(self, request: Request) -> Response:
        refused = await self._guard(request)
        if refused is not None:
            return refused
        self.requests.append({"route": "models"})
        return JSONResponse([
            {"model_id": m, "name": m.replace("_", " ").title(),
             "can_do_text_to_speech": m not in STS_MODELS and not m.startswith("scribe"),
             "can_do_voice_conversion": m in STS_MODELS} for m in self.offered()])

    async def _sts(self, request: Request) -> Response:
        refused = await self._guard(request)
        if refused is not None:
            return refused
        voice_id = request.path_params["voice_id"]
        output_format = request.query_params.get("output_format", "mp3_44100_128")
        form = await request.form()
        audio = form.get("audio")
        fields = {k: v for k, v in form.items() if not isinstance(v, UploadFile)}
        self.requests.append({"route": "sts", "voice_id": voice_id, "fields": fields,
                              "output_format": output_format,
                              "audio_name": getattr(audio, "filename", None)})
        if not _VOICE_ID.match(voice_id):
            return _error(404, "voice_not_found", f"A voice with id {voice_id} was not found.")
        if not isinstance(audio, UploadFile):
            return _error(422, "invalid_request", "field 'audio' is required (a file)")
        model = fields.get("model_id", "eleven_english_sts_v2")
        if model not in STS_MODELS or model not in self.offered():
            return _error(400, "model_not_found",
                          f"model {model} does not exist or does not do speech-to-speech")
        if fields.get("remove_background_noise", "false") not in ("true", "false"):
            return _error(422, "invalid_request", "remove_background_noise must be a boolean")
        if fields.get("file_format", "other") not in ("pcm_s16le_16", "other"):
            return _error(422, "invalid_request", "file_format must be pcm_s16le_16 or other")
        if output_format not in OUTPUT_FORMATS or not output_format.startswith("mp3"):
            return _error(422, "invalid_request", f"output_format {output_format} not served")
        data = await audio.read()
        with tempfile.TemporaryDirectory() as tmp:
            src, out = Path(tmp) / "in", Path(tmp) / "out.mp3"
            src.write_bytes(data)
            proc = subprocess.run(
                ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", str(src),
                 "-af", _PITCH_UP, "-ac", "1",
                 "-c:a", "libmp3lame", "-b:a", "128k", str(out)],
                capture_output=True, timeout=60, check=False)
            if proc.returncode != 0:
                return _error(400, "invalid_audio", "the audio could not be decoded")
            return Response(out.read_bytes(), media_type="audio/mpeg",
                            headers={"request-id": "fake-sts-1"})

    async def _align(self, request: Request) -> Response:
        refused = await self._guard(request)
        if refused is not None:
            return refused
        form = await request.form()
        upload, text = form.get("file"), form.get("text")
        self.requests.append({"route": "align", "text": text,
                              "fields": sorted(str(k) for k in form)})
        if not isinstance(upload, UploadFile) or not isinstance(text, str) or not text.strip():
            return _error(422, "invalid_request", "fields 'file' (a file) and 'text' required")
        data = await upload.read()
        proc = subprocess.run(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-i", "pipe:0",
             "-ac", "1", "-ar", str(_RATE), "-f", "s16le", "pipe:1"],
            input=data, capture_output=True, timeout=60, check=False)
        regions = voiced_regions(np.frombuffer(proc.stdout, dtype="<i2"))
        if proc.returncode != 0 or not regions:
            return _error(400, "invalid_audio", "no speech found in the audio")
        words = spread_words(text.split(), regions)
        chars = [{"text": ch, "start": w["start"], "end": w["end"]}
                 for w in words for ch in w["text"]]
        return JSONResponse({"characters": chars, "words": words, "loss": 0.12})

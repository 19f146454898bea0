"""The ElevenLabs SDK client, the voice map and the audio plumbing both adapters share."""

from __future__ import annotations

import math
import tomllib
import wave
from pathlib import Path

from elevenlabs import ElevenLabs
from elevenlabs.core.request_options import RequestOptions
from pydantic import SecretStr

from ugen.media.errors import FFmpegError
from ugen.media.runner import run_ffmpeg
from ugen.providers.base import PermanentProviderError
from ugen.providers.elevenlabs._errors import PROVIDER
from ugen.providers.vendor import MissingCredentialsError

_DEFAULT_VOICES = Path(__file__).resolve().parents[2] / "catalog" / "elevenlabs_voices.toml"
UPLOAD_RATE = 44100


def make_client(api_key: SecretStr | None, base_url: str) -> ElevenLabs:
    """An SDK client; the SDK's own retries are off (the stage retries, honouring
    ``Retry-After``).

    Raises:
        MissingCredentialsError: no key is configured.
    """
    if api_key is None or not api_key.get_secret_value():
        raise MissingCredentialsError("elevenlabs: UGEN_ELEVENLABS_API_KEY is not set",
                                      provider=PROVIDER)
    return ElevenLabs(api_key=api_key.get_secret_value(), base_url=base_url.rstrip("/"))


def request_options(timeout_s: float) -> RequestOptions:
    return {"max_retries": 0, "timeout_in_seconds": math.ceil(timeout_s)}


def load_voice_ids(path: Path | None = None) -> dict[str, str]:
    """Catalog voice id → ElevenLabs voice id, from ``[voices]`` of the TOML at ``path``."""
    with (path or _DEFAULT_VOICES).open("rb") as fh:
        data = tomllib.load(fh)
    return {str(k): str(v) for k, v in dict(data.get("voices", {})).items()}


def upload_args(source: Path, out: Path) -> list[str]:
    """ffmpeg arguments: the first audio stream of ``source`` as a mono 16-bit WAV."""
    return ["-i", str(source), "-vn", "-map", "0:a:0", "-ac", "1", "-ar", str(UPLOAD_RATE),
            "-c:a", "pcm_s16le", "-f", "wav", str(out)]


def to_upload_wav(source: Path, out: Path, *, timeout_s: float = 120.0) -> float:
    """Write the sound of ``source`` (any file ffmpeg reads) as a WAV; return its seconds.

    Raises:
        PermanentProviderError: ``source`` is missing or has no readable audio.
    """
    if not source.is_file():
        raise PermanentProviderError(f"{PROVIDER}: no audio at {source.name}",
                                     provider=PROVIDER)
    try:
        run_ffmpeg(upload_args(source, out), timeout=timeout_s)
    except FFmpegError as err:
        raise PermanentProviderError(f"{PROVIDER}: {source.name} has no readable audio: {err}",
                                     provider=PROVIDER) from err
    with wave.open(str(out), "rb") as fh:
        return fh.getnframes() / float(fh.getframerate())

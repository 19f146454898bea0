"""Speech-to-speech through ElevenLabs (the voice changer): the persona's voice on a recording.

The catalog voice maps to an ElevenLabs voice id in ``ugen/catalog/elevenlabs_voices.toml``
(or ``UGEN_ELEVENLABS_VOICES_FILE``). The recording is sent as a WAV with background-noise
removal on; the answer (MP3 by default) is decoded to a mono 48 kHz WAV of exactly the
source's length, so the timing of the speech is kept. Billing is per second of input audio:
each call adds a :class:`~ugen.providers.base.Usage` under ``out_path`` to :attr:`usage`.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import httpx
from elevenlabs.core.api_error import ApiError
from pydantic import SecretStr

from ugen.catalog import Voice
from ugen.core.config import Settings
from ugen.media.errors import FFmpegError
from ugen.media.runner import run_ffmpeg
from ugen.providers.base import PermanentProviderError, Usage, UsageLedger
from ugen.providers.elevenlabs._client import (
    load_voice_ids,
    make_client,
    request_options,
    to_upload_wav,
)
from ugen.providers.elevenlabs._errors import PROVIDER, translate

SAMPLE_RATE = 48000


def decode_args(answer: Path, out: Path, *, duration_s: float) -> list[str]:
    """ffmpeg arguments: ``answer`` as a mono 48 kHz WAV padded or cut to ``duration_s``."""
    samples = max(1, round(duration_s * SAMPLE_RATE))
    return ["-i", str(answer), "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE),
            "-af", f"aresample={SAMPLE_RATE},apad=whole_len={samples},atrim=end_sample={samples}",
            "-c:a", "pcm_s16le", "-f", "wav", str(out)]


class ElevenLabsSpeechConverter:
    """A :class:`~ugen.providers.base.SpeechConverter` calling ``speech_to_speech.convert``."""

    def __init__(self, *, api_key: SecretStr | None, voice_ids: Mapping[str, str],
                 base_url: str = "https://api.elevenlabs.io",
                 model_id: str = "eleven_multilingual_sts_v2", timeout_s: float = 120.0,
                 output_format: str = "mp3_44100_128",
                 remove_background_noise: bool = True) -> None:
        self._client = make_client(api_key, base_url)
        self.voice_ids = dict(voice_ids)
        self.model_id = model_id
        self.timeout_s = timeout_s
        self.output_format = output_format
        self.remove_background_noise = remove_background_noise
        self.usage = UsageLedger()

    @classmethod
    def from_settings(cls, settings: Settings) -> ElevenLabsSpeechConverter:
        return cls(api_key=settings.elevenlabs_api_key,
                   voice_ids=load_voice_ids(settings.elevenlabs_voices_file),
                   base_url=settings.elevenlabs_base_url, model_id=settings.elevenlabs_sts_model,
                   timeout_s=settings.elevenlabs_sts_timeout_s)

    def convert(self, source: Path, *, voice: Voice, out_path: Path) -> Path:
        """Speak the speech in ``source`` with ``voice``'s ElevenLabs voice; same duration.

        Raises:
            PermanentProviderError: no ElevenLabs voice for ``voice``, unreadable audio, or
                the vendor refused (auth, quota, policy: subclasses say which).
            TransientProviderError: rate limited, server error or timeout (retry).
        """
        voice_id = self.voice_ids.get(voice.id)
        if voice_id is None:
            raise PermanentProviderError(
                f"{PROVIDER}: no ElevenLabs voice is mapped to catalog voice {voice.id!r}",
                provider=PROVIDER)
        out_path = Path(out_path)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="ugen-sts-") as tmp:
            upload = Path(tmp) / "speech.wav"
            duration = to_upload_wav(Path(source), upload, timeout_s=self.timeout_s)
            answer = Path(tmp) / "answer.bin"
            self._call(upload, voice_id, answer)
            part = out_path.with_name(f".{out_path.name}.{os.getpid()}.part")
            try:
                run_ffmpeg(decode_args(answer, part, duration_s=duration),
                           timeout=self.timeout_s)
                os.replace(part, out_path)
            except FFmpegError as err:
                raise PermanentProviderError(f"{PROVIDER}: the converted audio is unreadable: "
                                             f"{err}", provider=PROVIDER) from err
            finally:
                part.unlink(missing_ok=True)
        self.usage.add(out_path, Usage(units=math.ceil(duration * 1000) / 1000, unit="second",
                                       provider=PROVIDER, model=self.model_id))
        return out_path

    def _call(self, upload: Path, voice_id: str, answer: Path) -> None:
        try:
            with upload.open("rb") as fh, answer.open("wb") as out:
                for chunk in self._client.speech_to_speech.convert(
                        voice_id, audio=(upload.name, fh, "audio/wav"),
                        model_id=self.model_id, output_format=self.output_format,
                        remove_background_noise=self.remove_background_noise,
                        file_format="other", request_options=request_options(self.timeout_s)):
                    out.write(chunk)
        except (ApiError, httpx.HTTPError) as err:
            raise translate(err, call="speech-to-speech") from err
        if answer.stat().st_size == 0:
            raise PermanentProviderError(f"{PROVIDER}: speech-to-speech returned no audio",
                                         provider=PROVIDER)

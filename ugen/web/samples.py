"""Voice samples for the new-ad form: each voice says one line, spoken offline.

The line is spoken by the offline voice provider (espeak-ng shaped to the voice's pitch and
formants, as the offline ads speak) and encoded as Opus; the file is made once per data dir
(``cache/voice-samples``) and served from there.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from ugen import catalog
from ugen.core.config import Settings
from ugen.media.runner import run_ffmpeg
from ugen.providers.local.voice import LocalVoiceProvider

_lock = threading.Lock()


def sample_text(voice: catalog.Voice) -> str:
    return f"Hi, I'm {voice.name}. This is how your ad will sound with my voice."


def voice_sample(settings: Settings, voice_id: str) -> Path:
    """The voice's sample (Ogg Opus), made on first use.

    Raises:
        KeyError: no such voice.
        ugen.providers.base.ProviderError, ugen.media.errors.MediaError: it could not be
            made (espeak-ng or ffmpeg missing).
    """
    voice = catalog.voices()[voice_id]
    folder = settings.data_dir / "cache" / "voice-samples"
    target = folder / f"{voice.id}.ogg"
    if target.is_file():
        return target
    with _lock:  # one sample at a time: each is a speech synthesis and an encode
        if target.is_file():
            return target
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            speech = LocalVoiceProvider().synthesize(sample_text(voice), language="en",
                                                     voice=voice,
                                                     out_path=Path(tmp) / "speech.wav")
            encoded = Path(tmp) / "sample.ogg"
            run_ffmpeg(["-i", str(speech.path), "-c:a", "libopus", "-b:a", "40k",
                        "-ac", "1", "-y", str(encoded)])
            os.replace(encoded, target)
    return target

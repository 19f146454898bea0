"""Fixtures of the music tests: the API's fixtures, and audio files made with FFmpeg."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import (  # noqa: F401  (fixtures)
    account,
    client,
    create_job,
    headers,
    make_account,
    upload,
)

ENCODERS: dict[str, list[str]] = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3"],
    "wav": ["-c:a", "pcm_s16le", "-f", "wav"],
    "ogg": ["-c:a", "libvorbis", "-f", "ogg"],
    "aac": ["-c:a", "aac", "-b:a", "128k", "-f", "adts"],
    "m4a": ["-c:a", "aac", "-b:a", "128k", "-f", "ipod"],
}
"""FFmpeg's output options of each custom music format (``aac``: raw ADTS)."""


def make_audio(folder: Path, fmt: str, seconds: float, *, name: str = "track") -> Path:
    """A stereo chord with a pulse (music-like, steady loudness) of ``seconds`` in ``fmt``."""
    out = folder / f"{name}.{fmt}"
    graph = ("sine=f=220:r=44100,volume=0.3[a];sine=f=277:r=44100,volume=0.2[b];"
             "sine=f=330:r=44100,volume=0.2[c];[a][b][c]amix=inputs=3:normalize=0,"
             "volume='0.6+0.4*sin(2*PI*2*t)':eval=frame,aformat=channel_layouts=stereo")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", f"{graph.replace('[a];', f',atrim=end={seconds}[a];', 1)}",
                    "-t", f"{seconds}", *ENCODERS[fmt], str(out)], check=True)
    return out


@pytest.fixture
def upload_music(client: TestClient) -> Callable[..., Any]:  # noqa: F811
    """POST /music/custom with ``data`` named ``name``; return the response."""

    def do(key: str, data: bytes, *, title: str = "My jingle", name: str = "song.mp3",
           content_type: str = "audio/mpeg") -> Any:
        return client.post("/api/v1/music/custom", headers=headers(key),
                           files={"file": (name, data, content_type)}, data={"title": title})

    return do

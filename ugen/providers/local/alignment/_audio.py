"""The recording as the aligners see it: mono samples at 16 kHz, and where speech is in it.

Speech activity is found from the short-term level: frames within ``RANGE_DB`` of the loud
end of the recording are speech; gaps shorter than a pause are closed and blips dropped.
The voice track has digital silence (or room tone far below the voice) between lines, so
this finds lines and the longer pauses inside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ugen.media.errors import FFmpegError
from ugen.media.runner import ffmpeg_argv, run_capture
from ugen.providers.base import PermanentProviderError

PROVIDER = "local-alignment"
RATE = 16_000
FRAME_S = 0.01
RANGE_DB = 40.0  # speech is within this of the recording's loud end (its 99th percentile)
FLOOR_DB = -60.0  # never call anything quieter than this speech
MIN_GAP_S = 0.08  # a quieter stretch shorter than this is inside speech (a stop, a breath)
MIN_REGION_S = 0.04  # louder stretches shorter than this are clicks, not speech
FRAGMENT_S = 0.12  # a region this short, this close to another, belongs to it
FRAGMENT_GAP_S = 0.2

Samples = NDArray[np.float32]


class UnreadableAudioError(PermanentProviderError):
    """The recording is missing or its audio cannot be decoded."""


@dataclass(frozen=True)
class Region:
    """A stretch of speech, in seconds from the start of the recording."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def decode_args(source: Path) -> list[str]:
    """ffmpeg args that write ``source``'s first audio stream as 16 kHz mono s16le to stdout."""
    return ["-i", str(source), "-vn", "-map", "0:a:0", "-ac", "1", "-ar", str(RATE),
            "-f", "s16le", "-c:a", "pcm_s16le", "-"]


def read_mono(source: Path) -> Samples:
    """The first audio stream of ``source`` as float samples in [-1, 1] at :data:`RATE`.

    Raises:
        UnreadableAudioError: the file is missing or ffmpeg cannot decode its audio.
    """
    if not Path(source).is_file():
        raise UnreadableAudioError(f"no audio at {source}", provider=PROVIDER)
    try:
        raw, _ = run_capture(ffmpeg_argv(decode_args(Path(source))))
    except FFmpegError as err:
        raise UnreadableAudioError(
            f"cannot read the audio of {Path(source).name}", provider=PROVIDER
        ) from err
    return (np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0).astype(np.float32)


def frame_db(samples: Samples) -> NDArray[np.float64]:
    """Level in dBFS of consecutive :data:`FRAME_S` frames."""
    hop = round(RATE * FRAME_S)
    n = len(samples) // hop
    if n == 0:
        return np.zeros(0)
    frames = samples[: n * hop].astype(np.float64).reshape(n, hop)
    return np.asarray(20.0 * np.log10(np.sqrt(np.mean(frames * frames, axis=1)) + 1e-9))


def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """[start, end) frame index pairs of the True runs in ``mask``."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def speech_regions(samples: Samples) -> list[Region]:
    """The stretches of speech in ``samples``, in order; empty when there is none."""
    db = frame_db(samples)
    if db.size == 0 or db.max() < FLOOR_DB:
        return []
    threshold = max(FLOOR_DB, float(np.percentile(db, 99)) - RANGE_DB)
    runs = _runs(db > threshold)
    merged: list[tuple[int, int]] = []
    for start, end in runs:
        if merged and (start - merged[-1][1]) * FRAME_S < MIN_GAP_S:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    regions = [Region(round(a * FRAME_S, 4), round(b * FRAME_S, 4))
               for a, b in merged if (b - a) * FRAME_S >= MIN_REGION_S]
    return _absorb_fragments(regions)


def _absorb_fragments(regions: list[Region]) -> list[Region]:
    """Join a very short region to a close neighbour: the release of a word's last stop, or
    its first sound before a closure, is part of that word, not a word of its own."""
    out = list(regions)
    k = 0
    while k < len(out):
        if out[k].duration < FRAGMENT_S and len(out) > 1:
            before = out[k].start - out[k - 1].end if k > 0 else float("inf")
            after = out[k + 1].start - out[k].end if k + 1 < len(out) else float("inf")
            if min(before, after) < FRAGMENT_GAP_S:
                j = k - 1 if before <= after else k + 1
                lo, hi = min(j, k), max(j, k)
                out[lo:hi + 1] = [Region(out[lo].start, out[hi].end)]
                k = max(lo - 1, 0)
                continue
        k += 1
    return out

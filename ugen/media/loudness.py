"""Measure audio: EBU R128 loudness (ebur128) and windowed volume.

These filters report in FFmpeg's log at ``info`` level, so they run with ``loglevel="info"``
and their reports are parsed from stderr.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from ugen.media.errors import InvalidMediaError
from ugen.media.runner import run_ffmpeg

SILENCE_LUFS = -70.0
"""Integrated loudness reported for (near) silence; R128's absolute gate."""


@dataclass(frozen=True)
class Loudness:
    """EBU R128 measurement: integrated loudness (LUFS), true peak (dBTP), loudness range (LU)."""

    integrated_lufs: float
    true_peak_dbtp: float
    lra: float


def _number(text: str) -> float:
    value = float(text)
    return value if math.isfinite(value) else SILENCE_LUFS


def parse_ebur128_summary(log: str, *, source: str = "audio") -> Loudness:
    """Read the ``Summary:`` block ebur128 prints at the end of a run.

    Raises:
        InvalidMediaError: no summary in ``log``.
    """
    summary = log[log.rfind("Summary:"):]
    i = re.search(r"I:\s+(-?[\d.]+|-?inf|nan) LUFS", summary)
    lra = re.search(r"LRA:\s+(-?[\d.]+|-?inf|nan) LU", summary)
    peak = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-?inf|nan) dBFS", summary)
    if "Summary:" not in log or not (i and lra and peak):
        raise InvalidMediaError(f"no loudness summary for {source}: {log[-300:]}")
    return Loudness(_number(i.group(1)), _number(peak.group(1)), _number(lra.group(1)))


def measure_loudness(path: Path) -> Loudness:
    """EBU R128 integrated loudness, true peak (4× oversampled) and LRA of ``path``'s audio.

    Raises:
        InvalidMediaError: the file has no audio or could not be measured.
    """
    log = run_ffmpeg(["-i", str(path), "-map", "0:a:0", "-af", "ebur128=peak=true:framelog=verbose",
                      "-f", "null", "-"], loglevel="info", timeout=300)
    return parse_ebur128_summary(log, source=path.name)


def mean_volume_db(path: Path, start_s: float, end_s: float) -> float:
    """Mean RMS level (dBFS) of ``path``'s audio between ``start_s`` and ``end_s`` (volumedetect).

    Raises:
        ValueError: empty window.
        InvalidMediaError: nothing was measured (window past the end, no audio).
    """
    if end_s <= start_s:
        raise ValueError(f"empty window {start_s}..{end_s}")
    log = run_ffmpeg(["-ss", f"{start_s:.3f}", "-t", f"{end_s - start_s:.3f}", "-i", str(path),
                      "-map", "0:a:0", "-af", "volumedetect", "-f", "null", "-"],
                     loglevel="info", timeout=120)
    match = re.search(r"mean_volume:\s+(-?[\d.]+|-?inf) dB", log)
    if not match:
        raise InvalidMediaError(f"no volume measured in {path.name} {start_s}..{end_s} s")
    return float(match.group(1)) if match.group(1) not in ("-inf", "inf") else -math.inf

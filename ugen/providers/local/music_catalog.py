"""The music catalog: U-Gen's own synthesised instrumentals, defined in ``music*.toml``.

Each track is a mood's style (:mod:`ugen.providers.local.music`) at its own tempo, with its own
seed (key, progression, patterns) and length; nothing in it is a third-party recording.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

import ugen.catalog

ARTIST = "U-Gen Studio"
RENDER_VERSION = 1
"""Raise when the synthesiser's sound changes: every cached track is rendered anew."""
_SAMPLE_RATE = 48_000

Tempo = Literal["slow", "medium", "fast"]
EnergyLevel = Literal["low", "medium", "high"]


def tempo_of(bpm: float) -> Tempo:
    """The tempo class of a BPM: under 90 slow, under 115 medium, else fast."""
    return "slow" if bpm < 90 else "medium" if bpm < 115 else "fast"


class CatalogTrack(BaseModel):
    """One catalog track as defined in the TOML."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(pattern=r"^[a-z0-9-]{3,60}$")]
    title: str
    mood: str
    bpm: Annotated[float, Field(ge=60, le=160)]
    seed: Annotated[int, Field(ge=0)]
    length_s: Annotated[float, Field(gt=0, le=120)]
    energy_level: EnergyLevel
    tags: tuple[str, ...] = ()
    has_vocals: bool = False
    artist: str = ARTIST

    @property
    def tempo(self) -> Tempo:
        return tempo_of(self.bpm)

    @property
    def exact_bpm(self) -> float:
        """The tempo as rendered: a 16th note is a whole number of samples."""
        return _SAMPLE_RATE * 60.0 / (round(_SAMPLE_RATE * 60.0 / self.bpm / 4.0) * 4.0)

    @property
    def duration_s(self) -> float:
        """The rendered length: ``length_s`` rounded up to whole four-bar progressions."""
        bar = 16 * round(_SAMPLE_RATE * 60.0 / self.bpm / 4.0)
        bars = max(4, math.ceil(self.length_s * _SAMPLE_RATE / bar / 4) * 4)
        return bars * bar / _SAMPLE_RATE

    @property
    def version(self) -> str:
        """A short digest of what the sound is made from (the cache key's version)."""
        made_of = f"{RENDER_VERSION}|{self.mood}|{self.bpm}|{self.seed}|{self.length_s}"
        return hashlib.sha256(made_of.encode()).hexdigest()[:12]


@cache
def music_catalog() -> dict[str, CatalogTrack]:
    """Every catalog track by id, in the files' order (``music*.toml`` beside the catalog).

    Raises:
        ValueError: a track with an unknown mood, or an id used twice.
    """
    tracks: dict[str, CatalogTrack] = {}
    for path in sorted(Path(ugen.catalog.__file__).parent.glob("music*.toml")):
        with path.open("rb") as fh:
            for raw in tomllib.load(fh).get("tracks", []):
                track = CatalogTrack.model_validate(raw)
                if track.mood not in ugen.catalog.MUSIC_MOODS:
                    raise ValueError(f"{path.name}: track {track.id} has unknown mood "
                                     f"{track.mood!r}")
                if track.id in tracks:
                    raise ValueError(f"{path.name}: track id {track.id} is used twice")
                tracks[track.id] = track
    return tracks

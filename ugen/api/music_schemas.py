"""Bodies of ``/music``: catalog tracks and an account's custom tracks."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from ugen.core.config import Settings
from ugen.providers.local.music_catalog import CatalogTrack
from ugen.service.music import CustomTrack, preview_url


class MusicTrackPublic(BaseModel):
    """One catalog track: an instrumental U-Gen synthesised itself (it loops seamlessly)."""

    id: str = Field(description="Pass it as `music_track_id` of `POST /jobs`.")
    title: str
    mood: str
    tempo: Literal["slow", "medium", "fast"]
    energy_level: Literal["low", "medium", "high"]
    bpm: float
    has_vocals: bool
    artist: str
    tags: list[str]
    duration_s: float
    preview_url: str = Field(description="A signed URL of a short M4A preview (no API key "
                                         "needed; it expires like other download URLs).")

    @classmethod
    def of(cls, settings: Settings, track: CatalogTrack) -> MusicTrackPublic:
        return cls(id=track.id, title=track.title, mood=track.mood, tempo=track.tempo,
                   energy_level=track.energy_level, bpm=round(track.exact_bpm, 2),
                   has_vocals=track.has_vocals, artist=track.artist, tags=list(track.tags),
                   duration_s=round(track.duration_s, 3),
                   preview_url=preview_url(settings, track))


class CustomMusicPublic(BaseModel):
    """One of the account's uploaded tracks."""

    id: str = Field(description="Pass it as `custom_music_id` of `POST /jobs`.")
    title: str
    format: Literal["mp3", "wav", "ogg", "aac", "m4a"]
    content_type: str
    size_bytes: int
    duration_s: float
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, track: CustomTrack) -> CustomMusicPublic:
        return cls(id=track.id, title=track.title, format=track.format,  # type: ignore[arg-type]
                   content_type=track.content_type, size_bytes=track.size_bytes,
                   duration_s=track.duration_s, is_active=track.is_active,
                   created_at=track.created_at)

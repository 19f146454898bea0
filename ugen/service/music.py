"""Music: the catalog of U-Gen's own tracks (with previews) and each account's custom tracks.

Catalog tracks are synthesised by :mod:`ugen.providers.local.music`, rendered the first time
they are asked for and cached in the artifact store, with a short M4A preview beside them.
Custom tracks are uploads of an account, recognised by their content (never the file name or
the declared type), decoded with FFmpeg to prove they play, kept in the artifact store
(``music/custom/{account_id}/{music_id}.{ext}``) and soft-deleted.

A job names its track by ``music_mood`` (a bed made for it), ``music_track_id`` (a catalog
track) or ``custom_music_id`` (one of the account's active tracks); :func:`check_job_music`
checks the last two when the job is created.
"""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

from pydantic import Field, TypeAdapter, ValidationError

from ugen.core.config import Settings
from ugen.core.schemas import ONE_LINE, JobOptions
from ugen.media.audio import decode_check, preview_clip
from ugen.media.errors import MediaError
from ugen.media.probe import MediaInfo, probe
from ugen.pipeline.prepare import JobValidationError
from ugen.providers.local.music import CATALOG_PREFIX, catalog_track_key
from ugen.providers.local.music_catalog import CatalogTrack, music_catalog
from ugen.store import music as music_store
from ugen.store.artifacts import ArtifactKey, artifact_store
from ugen.store.db import session_scope
from ugen.store.signed_urls import sign_path, verify

MUSIC_TYPES: dict[str, str] = {"mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg",
                               "aac": "audio/aac", "m4a": "audio/mp4"}
"""The content type of each custom music format."""
_CONTAINERS: dict[str, frozenset[str]] = {
    "mp3": frozenset({"mp3"}), "wav": frozenset({"wav"}), "ogg": frozenset({"ogg"}),
    "aac": frozenset({"aac"}), "m4a": frozenset({"mov", "mp4", "m4a"}),
}
"""The ffprobe format names that confirm each sniffed format."""
PREVIEWS_PATH = "/api/v1/music/catalog"
MAX_TITLE = 200
_TITLE = TypeAdapter(Annotated[str, Field(min_length=1, max_length=MAX_TITLE), ONE_LINE])


class UnsupportedMusicError(ValueError):
    """The upload is not an MP3, WAV, OGG, AAC or M4A file by its content (HTTP 415)."""


class InvalidMusicError(ValueError):
    """The upload is audio of a known format, but unusable (HTTP 422, field ``field``)."""

    def __init__(self, message: str, *, field: str = "file") -> None:
        super().__init__(message)
        self.field = field


class MusicNotFoundError(LookupError):
    """No such active custom track in the account (another account's is not told apart)."""


@dataclass(frozen=True)
class CustomTrack:
    """An account's uploaded track."""

    id: str
    title: str
    format: str
    content_type: str
    size_bytes: int
    duration_s: float
    is_active: bool
    created_at: datetime


def _custom(record: music_store.CustomMusicRecord) -> CustomTrack:
    return CustomTrack(record.id, record.title, record.format, record.content_type,
                       record.size_bytes, round(record.duration_s, 3), record.is_active,
                       record.created_at)


# --- the catalog ------------------------------------------------------------------------------


def catalog_tracks(*, mood: str | None = None, tempo: str | None = None,
                   limit: int = 50) -> list[CatalogTrack]:
    """Catalog tracks of ``mood`` and ``tempo`` (None: any), at most ``limit``."""
    found = [t for t in music_catalog().values()
             if (mood is None or t.mood == mood) and (tempo is None or t.tempo == tempo)]
    return found[:limit]


def catalog_track(track_id: str) -> CatalogTrack:
    """Raises: MusicNotFoundError."""
    track = music_catalog().get(track_id)
    if track is None:
        raise MusicNotFoundError(f"no catalog track {track_id}")
    return track


def _preview_key(track: CatalogTrack) -> ArtifactKey:
    return ArtifactKey(f"{CATALOG_PREFIX}{track.id}.{track.version}.preview.m4a")


def _preview_path(track_id: str) -> str:
    return f"{PREVIEWS_PATH}/{track_id}/preview"


def preview_url(settings: Settings, track: CatalogTrack, *, now: float | None = None) -> str:
    """The signed URL of a track's preview (valid ``download_url_ttl_s``): this API's own,
    whose signature is checked by :func:`preview_file`."""
    return sign_path(settings, _preview_path(track.id), now=now)


def ensure_preview(settings: Settings, track: CatalogTrack) -> ArtifactKey:
    """The track's preview clip in the artifact store, made (with the track) the first time."""
    store = artifact_store(settings)
    key = _preview_key(track)
    if not store.exists(key):
        source = store.path(catalog_track_key(store, track))
        with store.writing(key) as tmp:
            preview_clip(source, seconds=min(settings.music_preview_s, track.duration_s),
                         out=tmp)
    return key


def preview_file(settings: Settings, track_id: str, expires: str | None,
                 signature: str | None) -> tuple[Path | None, str | None]:
    """A verified preview request: the local file to send, or the store's own URL (S3).

    Raises:
        ugen.store.signed_urls.SignedUrlError: unsigned, altered or expired.
        MusicNotFoundError: no such track.
    """
    verify(settings, _preview_path(track_id), expires, signature)
    track = catalog_track(track_id)
    key = ensure_preview(settings, track)
    store = artifact_store(settings)
    presigned = store.presigned_url(key, settings.download_url_ttl_s,
                                    filename=f"{track.id}.m4a")
    if presigned is not None:
        return None, presigned
    return store.path(key), None


# --- custom tracks ----------------------------------------------------------------------------


def sniff_audio(data: bytes) -> str | None:
    """The custom music format of ``data`` by its first bytes (magic numbers), or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"OggS":
        return "ogg"
    if data[4:8] == b"ftyp":
        return "m4a"
    offset = 0
    if data[:3] == b"ID3" and len(data) >= 10:  # an ID3v2 tag: a syncsafe size, then frames
        size = ((data[6] & 0x7F) << 21 | (data[7] & 0x7F) << 14 | (data[8] & 0x7F) << 7
                | (data[9] & 0x7F))
        offset = 10 + size + (10 if data[5] & 0x10 else 0)
    frame = data[offset:offset + 2]
    if len(frame) < 2 or frame[0] != 0xFF:
        return None
    if frame[1] & 0xF6 == 0xF0:  # 12-bit sync, layer 00: an ADTS AAC frame
        return "aac"
    if frame[1] & 0xE0 == 0xE0 and (frame[1] >> 3) & 3 != 1 and (frame[1] >> 1) & 3 == 1:
        return "mp3"  # 11-bit sync, a valid MPEG version, layer III
    return None


def check_title(title: str) -> str:
    """Raises: InvalidMusicError (field ``title``): blank, too long or not one line."""
    try:
        return _TITLE.validate_python(title)
    except ValidationError as err:
        raise InvalidMusicError(f"title {err.errors()[0]['msg']}", field="title") from None


def _checked(settings: Settings, path: Path, fmt: str) -> MediaInfo:
    """ffprobe and FFmpeg confirm the format, an audio stream, a sane length, and decoding."""
    try:
        info = probe(path)
    except MediaError:
        raise InvalidMusicError(f"the file starts like {fmt.upper()} but is not readable "
                                "audio (damaged or truncated)") from None
    if not set(info.format_name.split(",")) & _CONTAINERS[fmt]:
        raise UnsupportedMusicError(f"the file starts like {fmt.upper()} but is "
                                    f"{info.format_name or 'something else'}")
    if info.audio is None:
        raise InvalidMusicError("the file has no audio stream")
    if info.video is not None:
        raise InvalidMusicError("the file has a video stream; upload audio only")
    duration = info.duration or info.audio.duration or 0.0
    lo, hi = settings.music_min_duration_s, settings.music_max_duration_s
    if not lo <= duration <= hi:
        raise InvalidMusicError(f"the track is {duration:.1f} s long; it must last between "
                                f"{lo:g} s and {hi:g} s")
    try:
        decode_check(path)
    except MediaError:
        raise InvalidMusicError("the audio does not decode (a damaged or truncated "
                                "file)") from None
    return info


def save_custom_music(settings: Settings, account_id: str, *, title: str,
                      data: bytes) -> CustomTrack:
    """Check an uploaded track by its content and keep it for the account.

    Raises:
        UnsupportedMusicError: not MP3, WAV, OGG, AAC or M4A by its content (its first
            bytes, confirmed by ffprobe).
        InvalidMusicError: unreadable, no audio stream, a video stream, a length out of range, does
            not decode; or a bad ``title``.
    """
    title = check_title(title)
    fmt = sniff_audio(data)
    if fmt is None:
        raise UnsupportedMusicError("the file is not MP3, WAV, OGG, AAC or M4A audio")
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    music_id = music_store.new_music_id()
    with tempfile.TemporaryDirectory(dir=settings.work_dir) as tmp_dir:
        tmp = Path(tmp_dir) / f"track.{fmt}"  # the client's file name never becomes a path
        tmp.write_bytes(data)
        info = _checked(settings, tmp, fmt)
        key = ArtifactKey(f"{music_store.CUSTOM_MUSIC_PREFIX}{account_id}/{music_id}.{fmt}")
        artifact_store(settings).put_file(key, tmp)
    duration = info.duration or (info.audio.duration if info.audio else None) or 0.0
    with session_scope(settings) as s:
        record = music_store.add_custom_music(
            s, music_id=music_id, account_id=account_id, title=title, format=fmt,
            content_type=MUSIC_TYPES[fmt], artifact_key=key, size_bytes=len(data),
            duration_s=duration)
    return _custom(record)


def custom_tracks(settings: Settings, account_id: str) -> list[CustomTrack]:
    """The account's active tracks, newest first."""
    with session_scope(settings) as s:
        return [_custom(r) for r in music_store.list_custom_music(s, account_id)]


def _canonical(music_id: str) -> str | None:
    try:
        canonical = str(uuid.UUID(music_id))
    except ValueError:
        return None
    return canonical if canonical == music_id.lower() else None


def custom_track(settings: Settings, account_id: str, music_id: str) -> CustomTrack:
    """Raises: MusicNotFoundError (unknown, another account's, or deleted)."""
    canonical = _canonical(music_id)
    with session_scope(settings) as s:
        found = (music_store.get_custom_music(s, account_id, canonical)
                 if canonical is not None else None)
    if found is None:
        raise MusicNotFoundError(f"no custom music {music_id}")
    return _custom(found)


def delete_custom_music(settings: Settings, account_id: str, music_id: str) -> None:
    """Soft-delete one of the account's tracks (its file stays in storage).

    Raises:
        MusicNotFoundError: unknown, another account's, or already deleted.
    """
    canonical = _canonical(music_id)
    with session_scope(settings) as s:
        done = (canonical is not None
                and music_store.deactivate_custom_music(s, account_id, canonical))
    if not done:
        raise MusicNotFoundError(f"no custom music {music_id}")


def check_job_music(settings: Settings, account_id: str, options: JobOptions) -> None:
    """The job's ``music_track_id`` is a catalog track and its ``custom_music_id`` one of the
    account's active tracks.

    Raises:
        JobValidationError: naming the field.
    """
    if options.music_track_id is not None and options.custom_music_id is not None:
        raise JobValidationError("custom_music_id", "give music_track_id or custom_music_id, "
                                                    "not both")
    if options.music_track_id is not None and options.music_track_id not in music_catalog():
        raise JobValidationError("music_track_id", f"unknown music_track_id "
                                 f"{options.music_track_id!r}; see GET /api/v1/music/catalog")
    if options.custom_music_id is not None:
        try:
            custom_track(settings, account_id, options.custom_music_id)
        except MusicNotFoundError:
            raise JobValidationError("custom_music_id", "no such custom music in this account "
                                     "(never uploaded, or deleted); see GET "
                                     "/api/v1/music/custom") from None


"""``/music``: the catalog of U-Gen's own tracks, and the account's custom tracks.

Catalog and custom lists are bare arrays. A catalog track's ``preview_url`` is signed like
the ``/files`` URLs (the signature is the key). An upload's body is read by the route itself,
after its API key was checked; the request guard (:mod:`ugen.api.guard`) refuses a body past
the file limit plus the multipart envelope while it streams in, and :func:`_read_limited`
stops at the file limit itself.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, RedirectResponse
from starlette.datastructures import UploadFile

from ugen import catalog
from ugen.api.deps import AccountDep, SettingsDep
from ugen.api.errors import ApiError
from ugen.api.music_schemas import CustomMusicPublic, MusicTrackPublic
from ugen.api.routes.uploads import _read_limited
from ugen.api.schemas import ErrorPublic
from ugen.api.strict_json import StrictJsonRoute
from ugen.service import music
from ugen.store.signed_urls import SignedUrlError

router = APIRouter(prefix="/music", tags=["music"], route_class=StrictJsonRoute)

_FILE_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file", "title"], "title": "CustomMusicUpload",
        "properties": {
            "file": {"type": "string", "format": "binary",
                     "contentMediaType": "application/octet-stream", "title": "File",
                     "description": "MP3, WAV, OGG, AAC (ADTS) or M4A, at most 20 MB, "
                                    "1 s to 10 min; recognised by its content."},
            "title": {"type": "string", "maxLength": music.MAX_TITLE, "title": "Title"}}}}}},
    "responses": {"422": {"description": "Validation Error (no `file` or `title`, a bad "
                                         "title, or audio that is unusable: no audio "
                                         "stream, too short or long, does not decode)",
                          "content": {"application/json": {"schema": {
                              "$ref": "#/components/schemas/HTTPValidationError"}}}}}}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorPublic, "description": "No such custom track of the account."}}


def _invalid(field: str, kind: str, message: str, value: object = None,
             where: str = "body") -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": (where, field), "msg": message,
                                    "input": value}])


@router.get("/catalog", responses={401: {"model": ErrorPublic}})
def list_catalog(settings: SettingsDep, account: AccountDep,
                 mood: Annotated[str | None, Query(max_length=40)] = None,
                 tempo: Annotated[Literal["slow", "medium", "fast"] | None, Query()] = None,
                 limit: Annotated[int, Query(ge=1, le=100)] = 50) -> list[MusicTrackPublic]:
    """Catalog tracks (instrumentals U-Gen made itself), filtered by `mood` and `tempo`."""
    if mood is not None and mood not in catalog.MUSIC_MOODS:
        raise _invalid("mood", "literal_error",
                       f"Input should be one of {', '.join(catalog.MUSIC_MOODS)}", mood, "query")
    return [MusicTrackPublic.of(settings, t)
            for t in music.catalog_tracks(mood=mood, tempo=tempo, limit=limit)]


@router.get("/catalog/{track_id}/preview", response_class=FileResponse,
            responses={200: {
                "description": "The preview's bytes (`audio/mp4`; `application/octet-stream` "
                               "is listed first so that client generators return the bytes).",
                "content": {t: {"schema": {"type": "string", "format": "binary"}}
                            for t in ("application/octet-stream", "audio/mp4")}},
                       403: {"model": ErrorPublic}, 404: {"model": ErrorPublic}})
def catalog_preview(track_id: str, settings: SettingsDep,
                    expires: Annotated[str | None, Query()] = None,
                    signature: Annotated[str | None, Query()] = None) -> Response:
    """A catalog track's preview (M4A), through the signed URL its listing gave."""
    try:
        path, presigned = music.preview_file(settings, track_id, expires, signature)
    except SignedUrlError as err:
        code = "URL_EXPIRED" if err.reason == "expired" else "INVALID_SIGNATURE"
        raise ApiError(403, code, str(err), {"reason": err.reason}) from None
    except music.MusicNotFoundError:
        raise ApiError(404, "TRACK_NOT_FOUND", f"no catalog track {track_id}") from None
    if presigned is not None or path is None:  # S3: the store serves the bytes itself
        return RedirectResponse(presigned or "", status_code=307)
    return FileResponse(path, media_type="audio/mp4")


@router.get("/custom", responses={401: {"model": ErrorPublic}})
def list_custom(settings: SettingsDep, account: AccountDep) -> list[CustomMusicPublic]:
    """The account's tracks, newest first (deleted ones are not listed)."""
    return [CustomMusicPublic.of(t) for t in music.custom_tracks(settings, account)]


@router.post("/custom", status_code=201, openapi_extra=_FILE_BODY,
             responses={400: {"model": ErrorPublic}, 401: {"model": ErrorPublic},
                        413: {"model": ErrorPublic}, 415: {"model": ErrorPublic}})
async def upload_custom(request: Request, settings: SettingsDep,
                        account: AccountDep) -> CustomMusicPublic:
    """Upload a track (MP3, WAV, OGG, AAC or M4A, at most 20 MB), private to the account."""
    limit = settings.max_music_upload_bytes
    async with request.form(max_files=1, max_fields=16) as form:
        file, title = form.get("file"), form.get("title")
        if file is None:
            raise _invalid("file", "missing", "Field required")
        if not isinstance(file, UploadFile):
            raise _invalid("file", "value_error", "Value error, file must be a file, not text")
        if title is None:
            raise _invalid("title", "missing", "Field required")
        if not isinstance(title, str):
            raise _invalid("title", "value_error", "Value error, title must be text")
        data = await _read_limited(file, limit)
    if not data:
        raise ApiError(400, "EMPTY_FILE", "the uploaded file is empty")
    try:
        track = await run_in_threadpool(music.save_custom_music, settings, account,
                                        title=title, data=data)
    except music.UnsupportedMusicError as err:
        raise ApiError(415, "UNSUPPORTED_AUDIO", str(err),
                       {"accepted": sorted(music.MUSIC_TYPES.values())}) from None
    except music.InvalidMusicError as err:
        raise _invalid(err.field, "value_error", f"Value error, {err}",
                       title if err.field == "title" else None) from None
    return CustomMusicPublic.of(track)


@router.delete("/custom/{music_id}", status_code=204,
               responses={401: {"model": ErrorPublic}, **_NOT_FOUND})
def delete_custom(music_id: uuid.UUID, settings: SettingsDep, account: AccountDep) -> Response:
    """Delete a track (soft: it is no longer listed nor usable by new jobs; the file stays)."""
    try:
        music.delete_custom_music(settings, account, str(music_id))
    except music.MusicNotFoundError:
        raise ApiError(404, "MUSIC_NOT_FOUND", f"no custom music {music_id}",
                       {"music_id": str(music_id)}) from None
    return Response(status_code=204)

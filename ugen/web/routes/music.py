"""``/music``: the music catalog with previews, and the account's own tracks.

The upload form posts the file and its title with the page's CSRF token (``/music/upload``,
given the music file limit by the request guard: :data:`ugen.api.main.MUSIC_UPLOAD_PATHS`);
the file is read in chunks and refused past the limit. A catalog preview plays from its
signed API URL, the same as the API's listing gives.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from ugen.core.config import Settings
from ugen.service import music
from ugen.store.web_sessions import SessionRecord
from ugen.web.auth import CheckedSessionDep, SessionDep, SettingsDep
from ugen.web.form_files import FileTooLargeError, read_upload
from ugen.web.templating import templates_of

router = APIRouter(include_in_schema=False)

MUSIC_UPLOAD_PATH = "/music/upload"
_SAVED = {"uploaded": "Track uploaded.", "deleted": "Track deleted."}


def _page(request: Request, settings: Settings, session: SessionRecord, *,
          status_code: int = 200, errors: dict[str, str] | None = None, title: str = "",
          notice: str | None = None) -> Response:
    tracks = [(t, music.preview_url(settings, t)) for t in music.catalog_tracks(limit=100)]
    return templates_of(request).page(
        request, "music.html", status_code=status_code, session=session, nav="music",
        tracks=tracks, custom=music.custom_tracks(settings, session.account_id),
        errors=errors or {}, title=title, notice=notice,
        max_mb=settings.max_music_upload_bytes // (1024 * 1024),
        accepted=",".join(sorted(set(music.MUSIC_TYPES.values()))))


@router.get("/music")
def music_page(request: Request, settings: SettingsDep, session: SessionDep,
               saved: Annotated[str, Query(max_length=20)] = "") -> Response:
    """The catalog with previews; the account's tracks, with upload and delete."""
    return _page(request, settings, session, notice=_SAVED.get(saved))


@router.post(MUSIC_UPLOAD_PATH)
async def upload_track(request: Request, settings: SettingsDep,
                       session: CheckedSessionDep) -> Response:
    """Keep an uploaded track (MP3, WAV, OGG, AAC or M4A) for the account."""
    limit = settings.max_music_upload_bytes
    form = await request.form(max_files=1, max_fields=16)
    file, title = form.get("file"), form.get("title")
    title = title if isinstance(title, str) else ""
    if not isinstance(file, UploadFile):
        return _page(request, settings, session, status_code=422, title=title,
                     errors={"file": "Choose an MP3, WAV, OGG, AAC or M4A file."})
    try:
        data = await read_upload(file, limit)
    except FileTooLargeError:
        return _page(request, settings, session, status_code=413, title=title,
                     errors={"file": f"The file is larger than {limit // 2**20} MB."})
    if not data:
        return _page(request, settings, session, status_code=400, title=title,
                     errors={"file": "The file is empty."})
    try:
        await run_in_threadpool(music.save_custom_music, settings, session.account_id,
                                title=title, data=data)
    except music.UnsupportedMusicError as err:
        return _page(request, settings, session, status_code=415, title=title,
                     errors={"file": str(err)})
    except music.InvalidMusicError as err:
        return _page(request, settings, session, status_code=422, title=title,
                     errors={err.field: str(err)})
    return RedirectResponse("/music?saved=uploaded", status_code=303)


@router.post("/music/custom/{music_id}/delete")
def delete_track(request: Request, music_id: str, settings: SettingsDep,
                 session: CheckedSessionDep) -> Response:
    """Delete one of the account's tracks (ads already made with it keep it)."""
    try:
        music.delete_custom_music(settings, session.account_id, music_id)
    except music.MusicNotFoundError:
        return _page(request, settings, session, status_code=404,
                     errors={"delete": "That track is already gone."})
    return RedirectResponse("/music?saved=deleted", status_code=303)

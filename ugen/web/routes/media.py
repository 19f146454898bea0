"""The catalog's pictures and sounds for the dashboard: persona pictures, voice samples, and
the caption previews' colours."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from starlette.exceptions import HTTPException

from ugen import catalog
from ugen.web import choices
from ugen.web.auth import SessionDep, SettingsDep
from ugen.web.portraits import persona_png
from ugen.web.samples import voice_sample

router = APIRouter(include_in_schema=False)

_CACHED = {"Cache-Control": "private, max-age=86400"}


@router.get("/personas/{persona_id}.png")
async def persona_picture(persona_id: str, session: SessionDep) -> Response:
    """A persona's picture."""
    if persona_id not in catalog.personas():
        raise HTTPException(404, "There is no such persona.")
    body = await run_in_threadpool(persona_png, persona_id)
    return Response(body, media_type="image/png", headers=_CACHED)


@router.get("/voices/{voice_id}.ogg")
async def voice_sample_file(voice_id: str, settings: SettingsDep, session: SessionDep
                            ) -> FileResponse:
    """A voice's sample line."""
    if voice_id not in catalog.voices():
        raise HTTPException(404, "There is no such voice.")
    path = await run_in_threadpool(voice_sample, settings, voice_id)
    return FileResponse(path, media_type="audio/ogg", headers=_CACHED)


@router.get("/captions.css")
def caption_styles() -> Response:
    """The caption previews' colours and emphasis, from the caption styles themselves."""
    return Response(choices.caption_css(), media_type="text/css",
                    headers={"Cache-Control": "public, max-age=3600"})

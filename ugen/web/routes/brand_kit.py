"""``/brand-kit``: the account's logo (upload and preview) and the watermark's settings.

The logo form posts the file with the page's CSRF token (``/brand-kit/logo``, given the
upload body limit by :func:`ugen.web.site.create_site`); the file is read in chunks and
refused past 2 MB. ``/brand-kit/preview.png`` draws the logo on a stand-in 9:16 frame with
the saved settings, by the same placement the final encode uses.
"""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from ugen.core.config import Settings
from ugen.media.watermark import (
    MAX_MARGIN,
    MAX_SIZE,
    MIN_SIZE,
    POSITIONS,
    WatermarkSpec,
    preview_frame,
)
from ugen.service import brand_kit
from ugen.store.artifacts import ArtifactKey, artifact_store
from ugen.store.web_sessions import SessionRecord
from ugen.web.auth import CheckedSessionDep, SessionDep, SettingsDep
from ugen.web.form_files import FileTooLargeError, read_upload
from ugen.web.templating import templates_of

router = APIRouter(include_in_schema=False)

LOGO_UPLOAD_PATH = "/brand-kit/logo"
"""Where the page's logo form posts (the request guard allows a file there)."""
MAX_LOGO_BYTES = 2 * 1024 * 1024
POSITION_LABELS = {"top_left": "Top left", "top_right": "Top right",
                   "bottom_left": "Bottom left", "bottom_right": "Bottom right",
                   "center": "Centre"}


def _page(request: Request, settings: Settings, session: SessionRecord, *,
          status_code: int = 200, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None, notice: str | None = None) -> Response:
    kit = brand_kit.brand_kit(settings, session.account_id)
    shown = values or {"position": kit.spec.position, "opacity": f"{kit.spec.opacity:g}",
                       "size": f"{kit.spec.size:g}", "margin": f"{kit.spec.margin:g}",
                       "enabled_by_default": "on" if kit.enabled_by_default else ""}
    return templates_of(request).page(
        request, "brand_kit.html", status_code=status_code, session=session, nav="brand-kit",
        kit=kit, values=shown, errors=errors or {}, notice=notice,
        positions=[(p, POSITION_LABELS[p]) for p in POSITIONS],
        limits={"min_size": MIN_SIZE, "max_size": MAX_SIZE, "max_margin": MAX_MARGIN},
        max_logo_mb=MAX_LOGO_BYTES // (1024 * 1024))


_SAVED = {"logo": "Logo saved.", "settings": "Watermark settings saved."}


@router.get("/brand-kit")
def brand_kit_page(request: Request, settings: SettingsDep, session: SessionDep,
                   saved: Annotated[str, Query(max_length=20)] = "") -> Response:
    """The logo, its preview on a frame, and the watermark's settings."""
    return _page(request, settings, session, notice=_SAVED.get(saved))


@router.post(LOGO_UPLOAD_PATH)
async def upload_logo(request: Request, settings: SettingsDep,
                      session: CheckedSessionDep) -> Response:
    """Keep a new logo (PNG, SVG or WebP, at most 2 MB), replacing the previous one."""
    form = await request.form(max_files=1, max_fields=16)
    file = form.get("file")
    if not isinstance(file, UploadFile):
        return _page(request, settings, session, status_code=422,
                     errors={"file": "Choose a PNG, SVG or WebP file."})
    try:
        data = await read_upload(file, MAX_LOGO_BYTES)
    except FileTooLargeError:
        return _page(request, settings, session, status_code=413,
                     errors={"file": f"The logo is larger than "
                                     f"{MAX_LOGO_BYTES // (1024 * 1024)} MB."})
    if not data:
        return _page(request, settings, session, status_code=400,
                     errors={"file": "The file is empty."})
    try:
        await run_in_threadpool(brand_kit.save_logo, settings, session.account_id, data)
    except brand_kit.UnsupportedFileError as err:
        return _page(request, settings, session, status_code=415, errors={"file": str(err)})
    except brand_kit.InvalidFileError as err:
        return _page(request, settings, session, status_code=422, errors={"file": str(err)})
    return RedirectResponse("/brand-kit?saved=logo", status_code=303)


@router.post("/brand-kit/settings")
def save_settings(request: Request, settings: SettingsDep, session: CheckedSessionDep,
                  position: Annotated[str, Form(max_length=20)] = "",
                  opacity: Annotated[str, Form(max_length=20)] = "",
                  size: Annotated[str, Form(max_length=20)] = "",
                  margin: Annotated[str, Form(max_length=20)] = "",
                  enabled_by_default: Annotated[str, Form(max_length=5)] = "") -> Response:
    """Save the watermark's position, opacity, size and margin."""
    values = {"position": position, "opacity": opacity, "size": size, "margin": margin,
              "enabled_by_default": enabled_by_default}
    try:
        spec = WatermarkSpec.model_validate({"position": position, "opacity": opacity,
                                             "size": size, "margin": margin})
    except ValidationError as err:
        errors = {str(e["loc"][0]): e["msg"] for e in err.errors() if e["loc"]}
        return _page(request, settings, session, status_code=422, errors=errors,
                     values=values)
    brand_kit.update_brand_kit(settings, session.account_id, spec,
                               enabled_by_default=enabled_by_default == "on")
    return RedirectResponse("/brand-kit?saved=settings", status_code=303)


@router.get("/brand-kit/preview.png")
def preview(settings: SettingsDep, session: SessionDep) -> Response:
    """The current logo drawn with the saved settings on a stand-in 9:16 frame."""
    kit = brand_kit.brand_kit(settings, session.account_id)
    if kit.logo_key is None:
        return Response(status_code=404)
    logo = artifact_store(settings).path(ArtifactKey(kit.logo_key))
    buf = io.BytesIO()
    preview_frame(logo, kit.spec).save(buf, format="PNG")
    return Response(buf.getvalue(), media_type="image/png",
                    headers={"Cache-Control": "no-store"})

"""``/new``: the new-ad form, its image upload, its live credit estimate, and submitting it.

The page's script uploads the image as soon as it is chosen (``/new/upload``, the file as the
request body), asks for the estimate whenever an option changes (``/new/estimate``, nothing
is reserved), and submits the form with ``Accept: application/json`` so errors appear beside
their fields; without the script the form posts and the page comes back with its errors.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.datastructures import FormData

from ugen import catalog, service
from ugen.core.config import Settings
from ugen.core.estimate import current_pricing
from ugen.pipeline.prepare import JobValidationError
from ugen.service import brand_kit as brand_kits
from ugen.service import music
from ugen.store import ledger
from ugen.store.limits import JobLimitError, JobLimits
from ugen.store.web_sessions import SessionRecord
from ugen.web import choices
from ugen.web.auth import CheckedSessionDep, ScriptSessionDep, SessionDep, SettingsDep
from ugen.web.errors import wants_json
from ugen.web.forms import JobForm, read_job_form
from ugen.web.routes import templates as web_templates
from ugen.web.templating import templates_of
from ugen.webhooks.urls import UnsafeWebhookUrlError, check_webhook_url

router = APIRouter(include_in_schema=False)

ACCEPTED_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
DEFAULTS = {"video_model": "veo3_fast", "aspect_ratio": "9:16", "segment_count": "3",
            "language": "auto", "caption_style": "tiktok_karaoke", "music_enabled": "on",
            "captions_enabled": "on", "music_mood": "upbeat", "music_volume": "0.15",
            "qai_mode": "lenient", "interaction_mode": "holdable",
            "script_structure": "standard_5phase", "script_tone": "conversational",
            "keyframe_resolution": "1k", "video_resolution": "standard",
            "max_retries_keyframe": "1", "max_retries_video": "0"}


def _estimate_view(settings: Settings, session: SessionRecord, form: JobForm
                   ) -> dict[str, Any]:
    bal = service.account_balance(settings, session.account_id)
    view: dict[str, Any] = {"available": bal.available_credits,
                            "balance": bal.credit_balance, "reserved": bal.credit_reserved}
    if form.options is None:
        return {**view, "total": None, "components": [], "errors": form.errors}
    cost, _ = service.price_job(settings, session.account_id, form.options)
    return {**view, "total": cost.total, "fits": cost.total <= bal.available_credits,
            "components": [{"component": line.component, "stage": line.stage,
                            "quantity": line.quantity, "unit": line.unit,
                            "credits": line.credits, "note": line.note}
                           for line in cost.lines],
            "errors": {}}


def _form_page(request: Request, settings: Settings, session: SessionRecord, form: JobForm, *,
               upload_id: str = "", status_code: int = 200, form_error: str | None = None,
               template_name: str | None = None) -> Response:
    return templates_of(request).page(
        request, "new.html", status_code=status_code, session=session, nav="new",
        values=form.values,
        errors=form.errors, form_error=form_error, upload_id=upload_id,
        estimate=_estimate_view(settings, session, form), choices=choices,
        personas=sorted(catalog.personas().values(), key=lambda p: p.name),
        voices=sorted(catalog.voices().values(), key=lambda v: v.name),
        models=choices.models(), capabilities=choices.model_capabilities(),
        max_upload_bytes=request.app.state.max_upload_bytes, accepted=ACCEPTED_TYPES,
        max_script_chars=settings.max_script_chars,
        caption_price=current_pricing().custom_captions, template_name=template_name,
        music_catalog=music.catalog_tracks(limit=100),
        music_custom=music.custom_tracks(settings, session.account_id))


@router.get("/new")
def new_page(request: Request, settings: SettingsDep, session: SessionDep,
             template: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    """The new-ad form, filled from a template (``?template=<id>``) or else from the
    account's default template, when it has one; the brand-kit watermark is ticked when
    the account's brand kit says so (and has a logo), unless the template decides."""
    start = web_templates.starting_template(settings, session.account_id, template)
    kit = brand_kits.brand_kit(settings, session.account_id)
    values = dict(DEFAULTS)
    if kit.enabled_by_default and kit.logo_url is not None:
        values["brand_kit_enabled"] = "on"
    if template is not None and start is None:
        return _form_page(request, settings, session, _form_of(values), status_code=404,
                          form_error="That template no longer exists; the form has the "
                                     "usual settings.")
    if start is None:
        return _form_page(request, settings, session, _form_of(values))
    values.update(start.values)
    return _form_page(request, settings, session, _form_of(values), template_name=start.name)


def _form_of(values: dict[str, str]) -> JobForm:
    """The form showing ``values``, priced (a blank product name aside)."""
    priced = read_job_form(_priceable(values))
    return JobForm(values, priced.options, priced.errors)


def _values(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _priceable(values: dict[str, str]) -> dict[str, str]:
    """The price does not depend on the product's name: a form without one is priced."""
    if values.get("product_name", "").strip():
        return values
    return {**values, "product_name": "product"}


@router.post("/new/estimate")
async def estimate(request: Request, settings: SettingsDep, session: ScriptSessionDep
                   ) -> JSONResponse:
    """The credits a job with these options would cost, and what the account has."""
    form = read_job_form(_priceable(_values(await request.form())))
    view = await run_in_threadpool(_estimate_view, settings, session, form)
    html = templates_of(request).render("_estimate.html", estimate=view)
    return JSONResponse({**view, "html": html})


def _json_error(status: int, code: str, message: str, field: str = "product_image"
                ) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "field": field}},
                        status_code=status)


@router.post("/new/upload")
async def upload(request: Request, settings: SettingsDep, session: ScriptSessionDep
                 ) -> JSONResponse:
    """Keep the product image (the request body) for the account; checked by its bytes."""
    limit: int = request.app.state.max_upload_bytes
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ACCEPTED_TYPES:
        return _json_error(415, "UNSUPPORTED_IMAGE", "Choose a JPEG, PNG, WebP or GIF image.")
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return _json_error(413, "FILE_TOO_LARGE", f"The image is larger than "
                                                      f"{limit // (1024 * 1024)} MB.")
        parts.append(chunk)
    if not size:
        return _json_error(400, "EMPTY_FILE", "The file is empty.")
    try:
        stored = await run_in_threadpool(service.save_product_image, settings,
                                         session.account_id, b"".join(parts))
    except JobValidationError as err:
        return _json_error(400, "UNSUPPORTED_IMAGE", err.message)
    return JSONResponse({"upload_id": stored.upload_id, "content_type": stored.content_type,
                         "width": stored.width, "height": stored.height,
                         "size_bytes": stored.size_bytes}, status_code=201)


def _submit(settings: Settings, session: SessionRecord, form: JobForm, upload_id: str
            ) -> tuple[str | None, dict[str, str], str | None, int]:
    """Create the job: ``(job_id, field errors, form error, status)``."""
    errors = dict(form.errors)
    if not upload_id:
        errors["product_image"] = "Add a product image."
    if form.options is not None and form.options.webhook_url is not None:
        try:
            check_webhook_url(form.options.webhook_url,
                              allow_private=settings.allow_private_urls)
        except UnsafeWebhookUrlError as err:
            errors["webhook_url"] = str(err)
    if errors or form.options is None:
        return None, errors, None, 422
    try:
        image = service.uploaded_image(settings, session.account_id, upload_id)
        job_id = service.submit_job(
            settings, account_id=session.account_id, options=form.options, image=image,
            limits=JobLimits(max_concurrent=settings.max_concurrent_jobs,
                             max_daily=settings.max_daily_jobs)).id
    except JobValidationError as err:
        name = "product_image" if err.field in ("product_image", "product_image_url") \
            else err.field
        return None, {name: err.message}, None, 422
    except ledger.InsufficientCreditsError as err:
        return None, {}, (f"Not enough credits: this ad needs {err.required:,} and "
                          f"{err.available:,} are available."), 402
    except JobLimitError as err:
        kind = "at once" if err.limit == "concurrent_jobs" else "in 24 hours"
        return None, {}, (f"This account may run {err.maximum} jobs {kind}; try again in "
                          f"{err.retry_after_s} s."), 429
    return job_id, {}, None, 201


@router.post("/new")
async def create(request: Request, settings: SettingsDep, session: CheckedSessionDep
                 ) -> Response:
    """Create the job and open its page."""
    values = _values(await request.form())
    form = read_job_form(values)
    upload_id = values.get("upload_id", "").strip()
    job_id, errors, form_error, status = await run_in_threadpool(
        _submit, settings, session, form, upload_id)
    if wants_json(request):
        if job_id is not None:
            return JSONResponse({"job_id": job_id, "url": f"/jobs/{job_id}"}, status_code=201)
        return JSONResponse({"errors": errors, "form_error": form_error}, status_code=status)
    if job_id is not None:
        return RedirectResponse(f"/jobs/{job_id}", status_code=303)
    shown = JobForm(form.values, form.options, errors)
    return await run_in_threadpool(lambda: _form_page(
        request, settings, session, shown, upload_id=upload_id, status_code=status,
        form_error=form_error))

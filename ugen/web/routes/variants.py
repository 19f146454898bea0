"""``/variants``: ad-variant matrices. The list of the account's sets, a form that takes
one product photo and hooks, bodies and calls to action (one per line) and shows what the
set will cost against independent jobs before anything is spent, and each set's page with
every combination's price, saving and job.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from ugen.core.config import Settings
from ugen.core.schemas import JobOptions
from ugen.pipeline.prepare import JobValidationError
from ugen.service import variant_sets as variants
from ugen.store import ledger
from ugen.store.web_sessions import SessionRecord
from ugen.web.auth import CheckedSessionDep, SessionDep, SettingsDep
from ugen.web.choices import models
from ugen.web.templating import templates_of

router = APIRouter(include_in_schema=False)

MAX_IMAGE_BYTES = 20 * 1024 * 1024
_TEXT_FIELDS = ("product_name", "video_model", "segment_duration", "aspect_ratio", "hooks",
                "bodies", "ctas")


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _lines(text: str) -> tuple[str, ...]:
    return tuple(ln.strip() for ln in text.splitlines() if ln.strip())


def _page(request: Request, settings: Settings, session: SessionRecord, *,
          status_code: int = 200, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None,
          estimate: variants.SetEstimate | None = None) -> Response:
    sets, _ = variants.list_variant_sets(settings, session.account_id, page=1, page_size=50)
    return templates_of(request).page(
        request, "variants.html", status_code=status_code, session=session, nav="variants",
        sets=sets, models=models(), values=values or {"segment_duration": "3",
                                                      "aspect_ratio": "9:16"},
        errors=errors or {}, estimate=estimate, lines=_lines)


@router.get("/variants")
def variants_page(request: Request, settings: SettingsDep, session: SessionDep) -> Response:
    """The account's variant sets and the form for a new one."""
    return _page(request, settings, session)


def _plan(settings: Settings, values: dict[str, str]) -> tuple[JobOptions, variants.Lines]:
    """Raises: ValueError (a field's message, its name first), VariantSetError."""
    try:
        duration = int(values["segment_duration"]) if values["segment_duration"] else None
        base = JobOptions.model_validate({
            "product_name": values["product_name"], "video_model": values["video_model"],
            "segment_duration": duration, "aspect_ratio": values["aspect_ratio"] or "9:16"})
    except (ValidationError, ValueError) as err:
        msg = (err.errors()[0]["msg"] if isinstance(err, ValidationError) else str(err))
        raise variants.VariantSetError("product_name", msg) from None
    lines = variants.Lines(_lines(values["hooks"]), _lines(values["bodies"]),
                           _lines(values["ctas"]), ())
    for field in ("hooks", "bodies", "ctas"):
        if not getattr(lines, field):
            raise variants.VariantSetError(field, "Write at least one line.")
    return base, lines


@router.post("/variants")
async def create_variants(request: Request, settings: SettingsDep,
                          session: CheckedSessionDep) -> Response:
    """``action=estimate``: price the set; otherwise create it and open its page."""
    form = await request.form(max_files=1, max_fields=16)
    values = {name: _text(form, name) for name in _TEXT_FIELDS}
    try:
        base, lines = _plan(settings, values)
        plan = variants.plan_set(settings, base, lines)
    except variants.VariantSetError as err:
        return _page(request, settings, session, status_code=422, values=values,
                     errors={err.field: str(err)})
    if _text(form, "action") == "estimate":
        return _page(request, settings, session, values=values, estimate=plan.estimate)
    file = form.get("image")
    if not isinstance(file, UploadFile) or not file.filename:
        return _page(request, settings, session, status_code=422, values=values,
                     estimate=plan.estimate, errors={"image": "Choose a product photo."})
    data = await file.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        return _page(request, settings, session, status_code=413, values=values,
                     errors={"image": "The photo is larger than 20 MB."})
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "product"
        image.write_bytes(data)
        try:
            set_id, _ = await run_in_threadpool(
                variants.create_set, settings, account_id=session.account_id, base=base,
                lines=lines, image=image)
        except JobValidationError as err:
            return _page(request, settings, session, status_code=422, values=values,
                         estimate=plan.estimate, errors={"image": err.message})
        except ledger.InsufficientCreditsError as err:
            return _page(request, settings, session, status_code=402, values=values,
                         estimate=plan.estimate,
                         errors={"hooks": f"Not enough credits: {err.required} are reserved "
                                          f"up front, {err.available} available."})
    return RedirectResponse(f"/variants/{set_id}", status_code=303)


@router.get("/variants/{set_id}")
def variant_set_page(request: Request, set_id: str, settings: SettingsDep,
                     session: SessionDep) -> Response:
    """One set: each combination's lines, price, saving and job."""
    try:
        view = variants.variant_set_view(settings, set_id, session.account_id)
    except variants.VariantSetNotFoundError:
        return templates_of(request).page(request, "error.html", status_code=404,
                                          session=session, title="Not found",
                                          message="No such variant set.")
    return templates_of(request).page(request, "variant_set.html", session=session,
                                      nav="variants", view=view)

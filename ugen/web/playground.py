"""``/models``: the catalog with prices, and the Playground: a "Try" form per model.

A try is submitted like the API's ``POST /api/v1/models/{id}/try`` (the same service, the
same price, reservation and checks); its first frame is uploaded by the page's script as
the new-ad form uploads the product image (``/new/upload``). The page then shows the task
(``/models?task=<id>``): its panel is rendered here, and the script
(``static/playground.js``) fetches it again from ``/models/tasks/{id}/panel`` until the task
ended, when it shows the video or the reason it failed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse

from ugen.core.config import Settings
from ugen.core.estimate import current_pricing
from ugen.service import playground
from ugen.store import ledger
from ugen.store.playground import TERMINAL, TaskView
from ugen.store.web_sessions import SessionRecord
from ugen.web import choices
from ugen.web.auth import CheckedSessionDep, SessionDep, SettingsDep
from ugen.web.errors import wants_json
from ugen.web.templating import templates_of

router = APIRouter(include_in_schema=False)

TaskQ = Annotated[str | None, Query(max_length=64)]
RECENT = 5


def _task_context(settings: Settings, task: TaskView) -> dict[str, Any]:
    return {"task": task, "video_url": playground.video_url(settings, task),
            "done": task.status in TERMINAL}


def _page(request: Request, settings: Settings, session: SessionRecord, *,
          task_id: str | None = None, status_code: int = 200,
          try_model: str | None = None, try_error: str | None = None,
          try_values: dict[str, str] | None = None) -> Response:
    shown: dict[str, Any] | None = None
    if task_id:
        try:
            shown = _task_context(settings, playground.get_try(settings, session.account_id,
                                                               task_id))
        except playground.TaskNotFoundError:
            status_code, try_error = 404, "That try does not exist (or is another account's)."
    return templates_of(request).page(
        request, "models.html", status_code=status_code, session=session, nav="models",
        models=choices.models(), choices=choices, pricing=current_pricing(), shown=shown,
        recent=playground.recent_tries(settings, session.account_id, limit=RECENT),
        try_model=try_model, try_error=try_error, try_values=try_values or {},
        prices={m.id: {d: playground.try_price(m, d) for d in m.supported_durations}
                for m in choices.models()})


@router.get("/models")
def models_page(request: Request, settings: SettingsDep, session: SessionDep,
                task: TaskQ = None) -> Response:
    """The video models with their capabilities and prices, a Try form per model, and
    (``?task=<id>``) one of the account's tries."""
    return _page(request, settings, session, task_id=task)


def _submit(settings: Settings, session: SessionRecord, model_id: str,
            values: dict[str, str]) -> tuple[str | None, str | None, int]:
    """Queue the try: ``(task_id, error, status)``."""
    duration = values.get("duration", "").strip()
    try:
        req = playground.TryRequest(
            model_id=model_id, prompt=values.get("prompt", ""),
            first_frame=values.get("first_frame", "").strip() or None,
            aspect_ratio=values.get("aspect_ratio") or None,
            duration=int(duration) if duration else None)
    except ValueError:
        return None, "The length must be a whole number of seconds.", 422
    try:
        task = playground.submit_try(settings, session.account_id, req)
    except playground.ModelNotFoundError:
        return None, f"There is no model {model_id}.", 404
    except playground.TryOptionError as err:
        return None, f"{err.field.replace('_', ' ').capitalize()} {err.message}.", 422
    except ledger.InsufficientCreditsError as err:
        return None, (f"Not enough credits: this try needs {err.required:,} and "
                      f"{err.available:,} are available."), 402
    return task.id, None, 202


@router.post("/models/{model_id}/try")
async def try_model(model_id: str, request: Request, settings: SettingsDep,
                    session: CheckedSessionDep) -> Response:
    """Queue a try and show it on the models page."""
    values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    task_id, error, status = await run_in_threadpool(_submit, settings, session, model_id,
                                                     values)
    if wants_json(request):
        if task_id is not None:
            return JSONResponse({"task_id": task_id, "url": f"/models?task={task_id}"},
                                status_code=202)
        return JSONResponse({"error": {"message": error}}, status_code=status)
    if task_id is not None:
        return RedirectResponse(f"/models?task={task_id}#try-task", status_code=303)
    return await run_in_threadpool(lambda: _page(
        request, settings, session, status_code=status, try_model=model_id, try_error=error,
        try_values=values))


@router.get("/models/tasks/{task_id}/panel")
def task_panel(task_id: str, request: Request, settings: SettingsDep,
               session: SessionDep) -> JSONResponse:
    """The task's panel rendered again, for the page's script (``done`` once it ended)."""
    try:
        task = playground.get_try(settings, session.account_id, task_id)
    except playground.TaskNotFoundError:
        return JSONResponse({"error": {"message": "no such try"}}, status_code=404)
    context = _task_context(settings, task)
    html = templates_of(request).render("_playground_task.html", **context)
    return JSONResponse({"status": task.status, "progress_percent": task.progress_percent,
                         "done": context["done"], "html": html})

"""``/templates``: the account's saved job configs — list, save from the new-ad form, make
one the default, delete; ``/new?template=<id>`` fills the form from one."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from ugen.core.config import Settings
from ugen.service import templates
from ugen.store.web_sessions import SessionRecord
from ugen.web.auth import CheckedSessionDep, SessionDep, SettingsDep
from ugen.web.forms import JobForm, read_job_form
from ugen.web.template_forms import config_of, form_values_of
from ugen.web.templating import templates_of

router = APIRouter(include_in_schema=False)


def _list_page(request: Request, settings: Settings, session: SessionRecord, *,
               status_code: int = 200, notice: str | None = None,
               error: str | None = None) -> Response:
    return templates_of(request).page(
        request, "templates.html", status_code=status_code, session=session,
        nav="templates", templates=templates.list_templates(settings, session.account_id),
        maximum=templates.MAX_TEMPLATES, notice=notice, error=error)


@router.get("/templates")
def templates_page(request: Request, settings: SettingsDep, session: SessionDep) -> Response:
    """The account's templates, the default first, then the most used."""
    return _list_page(request, settings, session)


def _values(raw: dict[str, object]) -> dict[str, str]:
    return {k: v for k, v in raw.items() if isinstance(v, str)}


@router.post("/templates/save")
async def save_template(request: Request, settings: SettingsDep,
                        session: CheckedSessionDep) -> Response:
    """Save the new-ad form's options (the product aside) as a template."""
    values = _values(dict((await request.form()).items()))
    name = " ".join(values.get("template_name", "").split())
    form = read_job_form({**values, "product_name": values.get("product_name", "").strip()
                          or "product"})
    error = _refusal(name, form)
    if error is None and form.options is not None:
        try:
            config = templates.TemplateConfig.model_validate(config_of(form.options, values))
            record = await run_in_threadpool(
                templates.create_template, settings, session.account_id, name=name,
                description=values.get("template_description", "").strip() or None,
                config=config, is_default=values.get("template_default") == "on")
        except ValidationError as err:
            error = str(err.errors()[0]["msg"]).removeprefix("Value error, ")
        except templates.TemplateLimitError as err:
            return _list_page(request, settings, session, status_code=409, error=str(err))
        else:
            return RedirectResponse(f"/templates?saved={record.id}#t-{record.id}",
                                    status_code=303)
    return _list_page(request, settings, session, status_code=422,
                      error=f"The template was not saved: {error}")


def _refusal(name: str, form: JobForm) -> str | None:
    if not name:
        return "give it a name."
    if len(name) > 100:
        return "the name is longer than 100 characters."
    if form.options is None:
        field, message = next(iter(form.errors.items()))
        return f"{field.replace('_', ' ')}: {message}"
    return None


@router.post("/templates/{template_id}/default")
def make_default(template_id: str, settings: SettingsDep,
                 session: CheckedSessionDep) -> Response:
    """Make the template the account's default (the previous one stops being it)."""
    try:
        templates.update_template(settings, session.account_id, template_id,
                                  templates.TemplateChanges(is_default=True))
    except templates.TemplateNotFoundError:
        return Response("No such template.", status_code=404)
    return RedirectResponse("/templates", status_code=303)


@router.post("/templates/{template_id}/delete")
def delete_template(template_id: str, settings: SettingsDep,
                    session: CheckedSessionDep) -> Response:
    """Delete the template; jobs made from it keep their options."""
    try:
        templates.delete_template(settings, session.account_id, template_id)
    except templates.TemplateNotFoundError:
        return Response("No such template.", status_code=404)
    return RedirectResponse("/templates", status_code=303)


@dataclass(frozen=True)
class StartingTemplate:
    """The template a new-ad form starts from: its name and the form's values."""

    name: str
    values: dict[str, str]


def starting_template(settings: Settings, account_id: str,
                      template_id: str | None) -> StartingTemplate | None:
    """The named template of the account, or with no id its default; None when there is
    none (an unknown or another account's id included)."""
    if template_id is None:
        found = next((t for t in templates.list_templates(settings, account_id, limit=1)
                      if t.is_default), None)
    else:
        try:
            found = templates.template(settings, account_id, template_id)
        except templates.TemplateNotFoundError:
            return None
    if found is None:
        return None
    return StartingTemplate(found.name, form_values_of(found.config))

"""``ugen templates``: list, create and delete the CLI account's templates."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter, ValidationError

from ugen import service
from ugen.cli._app import app, console, fail, fitted_table, invalid
from ugen.core.config import get_settings
from ugen.service.templates import TemplateConfig, TemplateDescription, TemplateName

templates = typer.Typer(help="Reusable job configs (`ugen submit --template-id ID`).",
                        invoke_without_command=True)
app.add_typer(templates, name="templates")


def _account() -> tuple[Any, str]:
    settings = get_settings()
    return settings, service.ensure_default_account(settings)


@templates.callback()
def list_templates(ctx: typer.Context,
                   as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The templates, default first, then the most used, then latest updated."""
    if ctx.invoked_subcommand is not None:
        return
    settings, account = _account()
    items = service.list_templates(settings, account)
    if as_json:
        print(json.dumps([t.model_dump(mode="json") for t in items], indent=2))
        return
    table = fitted_table(("id", 36), ("default", 7), ("uses", 4), ("name", 12), ("config", 0))
    for t in items:
        table.add_row(t.id, "yes" if t.is_default else "", str(t.use_count), t.name,
                      json.dumps(t.config, separators=(",", ":")))
    console.print(table)


@templates.command("create")
def create_template(
    name: Annotated[str, typer.Argument(help="The template's name.")],
    config: Annotated[str, typer.Option("--config", help='The job options as JSON, e.g. \'{"video_model": "kling3_std", "output_aspect_ratio": "1:1"}\'.')] = "{}",
    description: Annotated[str | None, typer.Option("--description")] = None,
    default: Annotated[bool, typer.Option("--default", help="Make it the default (the previous default stops being one).")] = False,
) -> None:
    """Store a template and print its id."""
    try:
        raw = json.loads(config)
    except json.JSONDecodeError as err:
        fail(f"--config is no JSON: {err}", 2)
    try:
        name = TypeAdapter(TemplateName).validate_python(name)
        if description is not None:
            description = TypeAdapter(TemplateDescription).validate_python(description)
        options = TemplateConfig.model_validate(raw)
    except ValidationError as err:
        invalid(err)
    settings, account = _account()
    try:
        made = service.create_template(settings, account, name=name, description=description,
                                       config=options, is_default=default)
    except service.TemplateLimitError as err:
        fail(str(err), 1)
    print(made.id)


@templates.command("delete")
def delete_template(template_id: Annotated[str, typer.Argument(help="The template's id.")]) -> None:
    """Delete a template (jobs made from it keep their options)."""
    settings, account = _account()
    try:
        service.delete_template(settings, account, template_id)
    except service.TemplateNotFoundError:
        fail(f"no template {template_id}", 1)
    console.print(f"deleted template {template_id}")

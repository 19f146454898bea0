"""Jinja2 for the dashboard: autoescaped templates, our filters, hashed static URLs.

Templates hold no logic beyond loops and conditions over typed views; formatting lives in
the filters here, so every page writes a duration, a credit amount or a stage the same way.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from ugen import catalog
from ugen.views import JobPublic
from ugen.web import panels
from ugen.web.stages import STAGE_INFO, stage_label, status_label

TEMPLATES_DIR = Path(__file__).parent / "templates"


def credits(value: int | float | None) -> str:
    """``1,234`` (credits are integers)."""
    return "—" if value is None else f"{int(value):,}"


def duration(seconds: float | None) -> str:
    """``4.2 s``, ``2 min 05 s``."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def file_size(size: int | None) -> str:
    """``563 KB``, ``4.2 MB``."""
    if size is None:
        return "—"
    if size < 1000 * 1000:
        return f"{max(1, round(size / 1000))} KB"
    return f"{size / 1000 / 1000:.1f} MB"


def model_name(model_id: str) -> str:
    """``Kling 3.0 Standard`` for ``kling3_std`` (an unknown id as it is)."""
    found = catalog.video_models().get(model_id)
    return found.name if found is not None else model_id


def persona_name(persona_id: str | None) -> str:
    """The persona's name (an unknown id as it is)."""
    found = catalog.personas().get(persona_id or "")
    return found.name if found is not None else (persona_id or "—")


def retry_credits(job: JobPublic, stage: str) -> int | None:
    """What a retry of the job from ``stage`` reserves, when a retry may start there."""
    return next((r.credits for r in job.retry_from if r.from_stage == stage), None)


def badge(status: str) -> Markup:
    """A status as a coloured badge."""
    return Markup('<span class="badge st-{0}">{1}</span>').format(status, status_label(status))


def time_tag(value: datetime | None) -> Markup:
    """A ``<time>`` the page's script shows in the reader's time zone (``—`` for none)."""
    if value is None:
        return Markup("—")
    return Markup('<time datetime="{0}">{1}</time>').format(when(value), when_text(value))


def when(value: datetime | None) -> str:
    """An ISO time for ``<time datetime>`` (the page shows it in the reader's time zone)."""
    return value.isoformat() if value is not None else ""


def when_text(value: datetime | None) -> str:
    """The same time as text until the page's script localises it (UTC)."""
    return value.strftime("%d %b %Y, %H:%M UTC") if value is not None else "—"


class Templates:
    """The dashboard's template environment."""

    def __init__(self, static_dir: Path) -> None:
        self.static_dir = static_dir
        self._versions: dict[str, str] = {}
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
            autoescape=jinja2.select_autoescape(("html",), default_for_string=True),
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
            auto_reload=False,  # templates change with a new release (and a restart)
        )
        self.env.filters.update(credits=credits, duration=duration, when=when,
                                when_text=when_text, stage_label=stage_label,
                                status_label=status_label, file_size=file_size,
                                model_name=model_name, persona_name=persona_name,
                                item_label=panels.item_label,
                                error_label=panels.error_label)
        self.env.globals.update(static_url=self.static_url, STAGE_INFO=STAGE_INFO,
                                badge=badge, time=time_tag,
                                retry_credits=retry_credits,
                                attempts_by_item=panels.attempts_by_item,
                                latest_attempts=panels.latest_attempts,
                                timeline=panels.timeline, TRACK=panels.TRACK,
                                LANGUAGE_SOURCES=panels.LANGUAGE_SOURCES,
                                SPEECH_SOURCES=panels.SPEECH_SOURCES)

    def static_url(self, name: str) -> str:
        """``/static/<name>?v=<content hash>``: cached for good, replaced when it changes."""
        version = self._versions.get(name)
        if version is None:
            digest = hashlib.sha256((self.static_dir / name).read_bytes()).hexdigest()
            version = self._versions[name] = digest[:12]
        return f"/static/{name}?v={version}"

    def render(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context)

    def page(self, request: Request, name: str, *, status_code: int = 200,
             **context: Any) -> HTMLResponse:
        """A full page (or partial) as an HTML response."""
        context.setdefault("session", None)
        context.setdefault("nav", "")
        body = self.render(name, request=request, **context)
        return HTMLResponse(body, status_code=status_code)


def templates_of(request: Request) -> Templates:
    found: Templates = request.app.state.templates
    return found

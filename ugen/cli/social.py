"""``ugen post`` and ``ugen posts``: post a completed job's video to a connected social
account, and list the job's posts (connect accounts in the dashboard or the API)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from pydantic import ValidationError

from ugen import service
from ugen.api.social_schemas import PostCreate, PostPublic
from ugen.cli._app import app, console, fail, fitted_table, invalid
from ugen.core.config import get_settings
from ugen.service import social
from ugen.social.errors import NotConnectedError, PlatformNotConfiguredError
from ugen.social.posts import PostIdempotencyConflictError

JobArg = Annotated[str, typer.Argument(help="The job id.")]


@app.command()
def post(
    job: JobArg,
    platform: Annotated[str, typer.Option("--platform", help="youtube, tiktok or instagram (connected).")],
    caption: Annotated[str, typer.Option("--caption", "--title", help="TikTok / Instagram caption, YouTube title (≤ 100).")],
    hashtags: Annotated[str | None, typer.Option("--hashtags", help="Comma-separated, e.g. skincare,glow.")] = None,
    description: Annotated[str, typer.Option("--description", help="YouTube description.")] = "",
    privacy: Annotated[str | None, typer.Option("--privacy", help="The platform's own value: YouTube public/unlisted/private; TikTok SELF_ONLY, PUBLIC_TO_EVERYONE, …")] = None,
    idempotency_key: Annotated[str | None, typer.Option("--idempotency-key", help="Send it again with the same key: the same post.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Post a completed job's video (queued: `ugen posts JOB` shows how it went)."""
    settings = get_settings()
    tags = [t.strip() for t in (hashtags or "").split(",") if t.strip()]
    try:
        body = PostCreate.model_validate({"platform": platform, "title": caption,
                                          "description": description, "hashtags": tags,
                                          "privacy": privacy})
    except ValidationError as err:
        invalid(err)
    try:
        account = social.job_account(settings, job)
        made, created = social.create_post(settings, account, job, body.model_dump(),
                                           idempotency_key=idempotency_key)
    except service.JobNotFoundError:
        fail(f"no job {job}")
    except service.JobStateError as err:
        fail(str(err))
    except (NotConnectedError, PlatformNotConfiguredError) as err:
        fail(str(err))
    except PostIdempotencyConflictError as err:
        fail(f"{err} (post {err.post_id})")
    view = PostPublic.of(made)
    if as_json:
        print(view.model_dump_json(indent=2))
        return
    console.print(f"{'queued' if created else 'already requested'}: post [bold]{view.id}[/] "
                  f"to {view.platform} ({view.status}); see `ugen posts {job}`")


@app.command()
def posts(job: JobArg, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """A job's posts: platform, status, and the post's URL or why it failed."""
    settings = get_settings()
    try:
        items = [PostPublic.of(p) for p in social.posts_of(
            settings, social.job_account(settings, job), job)]
    except service.JobNotFoundError:
        fail(f"no job {job}")
    if as_json:
        print(json.dumps([p.model_dump(mode="json") for p in items], indent=2))
        return
    if not items:
        console.print(f"job {job} has no posts yet (`ugen post {job} --platform ...`)")
        return
    table = fitted_table(("post", 29), ("platform", 9), ("status", 9), ("url or reason", 0))
    for p in items:
        outcome = p.url or (f"{p.error_code}: {p.error_message}" if p.error_code else "—")
        table.add_row(p.id, p.platform, p.status, outcome)
    console.print(table)

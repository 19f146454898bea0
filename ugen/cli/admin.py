"""Serving the API and dashboard, and the ``admin`` commands of accounts, keys, credits and
storage (``gc``)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ugen import service
from ugen.cli._app import app, console, err_console, fail
from ugen.core.config import get_settings


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Only serve the API; separate `ugen worker` processes run the jobs.")] = False,
) -> None:
    """Serve the dashboard (/) and the HTTP API (/api/v1, docs at /docs), with a worker unless --no-worker."""
    import uvicorn

    from ugen.web import create_site
    from ugen.web.links import base_url, sign_in_url

    settings = get_settings()
    api = create_site(settings, runtime_role="client" if no_worker else "worker")
    base = base_url(host, port)
    token = service.create_login_link(settings, settings.default_account)
    console.print(f"Dashboard: [bold]{base}/[/]   API: {base}/api/v1 (docs at {base}/docs)",
                  soft_wrap=True)
    console.print(f"Sign in as {settings.default_account} (one-time link, valid "
                  f"{settings.login_link_ttl_s // 60} min): [bold]{sign_in_url(base, token)}[/]",
                  soft_wrap=True)
    # uvicorn's own records (start-up, access lines) go through U-Gen's handlers like every
    # other: the log file and stderr, as JSON lines with UGEN_LOG_FORMAT=json, redacted.
    uvicorn.run(api, host=host, port=port, log_config=None)


admin = typer.Typer(help="Accounts, API keys and credits of the HTTP API; storage garbage collection.", no_args_is_help=True)
app.add_typer(admin, name="admin")


@admin.command("create-account")
def admin_create_account(
    name: Annotated[str, typer.Argument(help="Unique account name.")],
    credits_: Annotated[int, typer.Option("--credits", min=0, help="Starter credits.")] = 0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create an account and its first API key (shown once)."""
    from ugen.store import api_keys
    settings = get_settings()
    try:
        account_id, key = api_keys.create_account(settings, name, credits_)
    except api_keys.AccountExistsError as err:
        fail(str(err), 2)
    if as_json:
        print(json.dumps({"account_id": account_id, "api_key": key}))
        return
    console.print(f"account [bold]{account_id}[/] with {credits_} credits")
    console.print(f"API key (shown once): [bold]{key}[/]")


@admin.command("create-key")
def admin_create_key(
    account: Annotated[str, typer.Argument(help="The account id.")],
    name: Annotated[str, typer.Option("--name", help="A label for the key.")] = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create another API key for an account (shown once)."""
    from ugen.store import api_keys
    settings = get_settings()
    if account == settings.default_account:
        service.ensure_default_account(settings)  # the CLI's own account exists from the start
    try:
        key = api_keys.create_api_key(settings, account, name=name)
    except api_keys.AccountNotFoundError:
        fail(f"no account {account}", 2)
    if as_json:
        print(json.dumps({"key_id": key.key_id, "api_key": key.api_key,
                          "key_prefix": key.key_prefix}))
        return
    console.print(f"key [bold]{key.key_id}[/] ({key.key_prefix})")
    console.print(f"API key (shown once): [bold]{key.api_key}[/]")


@admin.command("revoke-key")
def admin_revoke_key(key_id: Annotated[str, typer.Argument(help="The key id (key_...).")]) -> None:
    """Revoke an API key at once and for good."""
    from ugen.store import api_keys
    settings = get_settings()
    try:
        api_keys.revoke_api_key(settings, key_id)
    except api_keys.ApiKeyNotFoundError:
        fail(f"no key {key_id}", 2)
    console.print(f"revoked {key_id}")


@admin.command("login-link")
def admin_login_link(
    account: Annotated[str, typer.Argument(help="The account id.")],
    url: Annotated[str, typer.Option("--url", help="The dashboard's address.")] = "http://127.0.0.1:8000",
) -> None:
    """Make a one-time dashboard sign-in link for an account."""
    from ugen.store import api_keys
    from ugen.web.links import sign_in_url
    settings = get_settings()
    try:
        token = service.create_login_link(settings, account)
    except api_keys.AccountNotFoundError:
        fail(f"no account {account}", 2)
    print(sign_in_url(url, token))
    err_console.print(f"one-time link for {account}, valid {settings.login_link_ttl_s // 60} min")


@admin.command("grant-credits")
def admin_grant_credits(
    account: Annotated[str, typer.Argument(help="The account id.")],
    amount: Annotated[int, typer.Argument(min=1, help="Credits to add (a purchase).")],
) -> None:
    """Add credits to an account."""
    from ugen.store import api_keys
    settings = get_settings()
    if account == settings.default_account:
        service.ensure_default_account(settings)  # the CLI's own account exists from the start
    try:
        bal = api_keys.grant_credits(settings, account, amount)
    except api_keys.AccountNotFoundError:
        fail(f"no account {account}", 2)
    console.print(f"{account}: credit_balance {bal.credit_balance}  available_credits "
                  f"{bal.available_credits}")


@admin.command("gc")
def admin_gc(
    older_than: Annotated[str, typer.Option("--older-than", help="Only what is older than this: 30m, 24h, 7d, 2w.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would be removed; remove nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Remove expired uploads, artifacts of jobs that no longer exist and stale work files."""
    try:
        bound = service.parse_duration(older_than)
    except ValueError as err:
        fail(f"--older-than: {err}", 2)
    report = service.collect_garbage(get_settings(), older_than=bound, dry_run=dry_run)
    if as_json:
        print(json.dumps({"dry_run": report.dry_run, "cutoff": report.cutoff.isoformat(),
                          "expired_uploads": report.expired_uploads,
                          "upload_bytes": report.upload_bytes,
                          "orphaned_jobs": report.orphaned_jobs,
                          "orphan_bytes": report.orphan_bytes,
                          "work_entries": report.work_entries, "work_bytes": report.work_bytes,
                          "bytes_freed": report.bytes_freed}))
        return
    verb = "would free" if dry_run else "freed"
    console.print(f"expired uploads {report.expired_uploads} ({report.upload_bytes} bytes)")
    console.print(f"orphaned jobs {report.orphaned_jobs} ({report.orphan_bytes} bytes)")
    console.print(f"work files {report.work_entries} ({report.work_bytes} bytes)")
    console.print(f"{verb} {report.bytes_freed} bytes" + (" (dry run)" if dry_run else ""))

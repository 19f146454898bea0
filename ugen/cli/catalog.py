"""Commands on the catalog and the account: models, doctor, personas, credits, estimate."""

from __future__ import annotations

import json
import shutil
from typing import Annotated

import typer
from rich.table import Table

from ugen import catalog, service
from ugen.cli._app import app, console, fitted_table, job_options
from ugen.cli.jobs import AspectOpt, CountOpt, DurationOpt, ModelOpt, MusicOpt
from ugen.core.config import get_settings
from ugen.core.estimate import estimate


@app.command()
def models(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The video models with their capabilities and prices."""
    items = [m.model_dump() for m in catalog.video_models().values()]
    if as_json:
        print(json.dumps(items, indent=2))
        return
    table = Table("id", "name", "aspect ratios", "durations (s)", "resolution", "sound", "price")
    for m in catalog.video_models().values():
        durations = ", ".join(map(str, m.supported_durations))
        table.add_row(m.id, m.name, ", ".join(m.supported_aspect_ratios), durations,
                      m.resolution, "yes" if m.supports_sound else "no",
                      f"{m.credits_per_unit}/{m.pricing_unit}")
    console.print(table)


@app.command()
def doctor(
    check_network: Annotated[bool, typer.Option("--check-network", help="Make a cheap authenticated call to each vendor whose keys are present.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds allowed per network check.")] = 5.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Which provider serves each capability and why (the setting and what it saw; for video, per model); every vendor with the settings that enable it and whether its keys are present (never shown); with --check-network, what each vendor answers (its models, where it lists them). Exits 1 when a capability names a vendor whose keys are missing, or a vendor refuses, cannot be reached, answers unexpectedly or does not offer a configured model."""
    from ugen.providers.doctor import diagnose, render

    reports = diagnose(get_settings(), check_network=check_network, timeout_s=timeout)
    if as_json:
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        for line in render(reports, shutil.get_terminal_size().columns):
            typer.echo(line)
    if any(r.failing for r in reports):
        raise typer.Exit(1)


@app.command()
def personas() -> None:
    """Personas (persona_id) and voices."""
    table = fitted_table(("persona_id", 36), ("name", 6), ("voice", 6), ("description", 0))
    for p in catalog.personas().values():
        table.add_row(p.id, p.name, p.voice_id, p.description)
    console.print(table)
    console.print()
    vt = fitted_table(("voice_id", 8), ("name", 8), ("gender", 6), ("description", 0))
    for v in catalog.voices().values():
        vt.add_row(v.id, v.name, v.gender, v.description)
    console.print(vt)


@app.command()
def credits(
    add: Annotated[int | None, typer.Option("--add", help="Purchase this many credits.")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 15,
) -> None:
    """Balance, reserved and available credits, and the latest transactions."""
    settings = get_settings()
    account = service.ensure_default_account(settings)
    if add:
        service.purchase_credits(settings, account, add)
    bal, lines, _ = service.ledger_page(settings, account, page_size=limit)
    console.print(f"credit_balance {bal.credit_balance}  credit_reserved {bal.credit_reserved}"
                  f"  available_credits {bal.available_credits}")
    table = fitted_table(("type", 8), ("amount", 7), ("after", 7), ("job_id", 36),
                          ("description", 0))
    for t in lines:
        table.add_row(t.type, str(t.amount), str(t.balance_after), t.job_id or "",
                      t.description)
    console.print(table)


@app.command(name="estimate")
def estimate_cmd(
    video_model: ModelOpt = "veo3_fast", segment_count: CountOpt = 3,
    segment_duration: DurationOpt = None, aspect_ratio: AspectOpt = "9:16",
    music: MusicOpt = True,
) -> None:
    """Credit estimate, one line per cost component."""
    opts = job_options(product_name="estimate", video_model=video_model,
                    segment_count=segment_count, segment_duration=segment_duration,
                    aspect_ratio=aspect_ratio, music_enabled=music)
    cost = estimate(opts)
    table = Table("component", "stage", "quantity", "unit", "credits")
    for line in cost.lines:
        table.add_row(line.component, line.stage, f"{line.quantity:g}", line.unit,
                      str(line.credits))
    console.print(table)
    console.print(f"total {cost.total}")

"""The ``ugen`` application, its consoles and what every command shares."""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich import box
from rich.console import Console
from rich.table import Table

from ugen.core import logs
from ugen.core.config import get_settings
from ugen.core.schemas import JobOptions

app = typer.Typer(help="U-Gen: one product image in, a finished UGC-style video ad out.",
                  no_args_is_help=True, add_completion=False)
console = Console()
err_console = Console(stderr=True)


# Commands that run as services log to the terminal as well as to the log file.
_SERVICES = {"serve", "worker"}


@app.callback()
def _setup(ctx: typer.Context, verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Also show the log (DBOS, libraries) on the terminal.")] = False,
           ) -> None:
    """Log records go to the data dir's logs/ugen.log; the terminal gets one clear line."""
    settings = get_settings()
    path = logs.configure(settings.data_dir,
                          to_terminal=verbose or ctx.invoked_subcommand in _SERVICES,
                          fmt=settings.log_format)
    ctx.obj = path
    ctx.call_on_close(logs.unconfigure)


def fitted_table(*columns: tuple[str, int]) -> Table:
    """A table whose columns keep their widths (job ids are never cut or wrapped: they are
    copied into other commands); the one column of width 0 takes the rest of the line and
    is shortened with an ellipsis."""
    rest = max(8, console.width - (len(columns) - 1) - sum(width for _, width in columns))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=0)
    for name, width in columns:
        table.add_column(name, no_wrap=True, overflow="ellipsis", min_width=width or None,
                         max_width=width or rest, justify="right" if name in
                         ("%", "amount", "after") else "left")
    return table


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def job_options(**fields: Any) -> JobOptions:
    """Build validated job options; on bad input print each field's problem and exit 2."""
    clean = {k: v for k, v in fields.items() if v is not None}
    try:
        return JobOptions.model_validate(clean)
    except ValidationError as err:
        invalid(err)


def invalid(err: ValidationError) -> NoReturn:
    """Print each field's problem and exit 2."""
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "options"
        msg = str(e["msg"]).removeprefix("Value error, ")
        err_console.print(f"[bold red]invalid {where}:[/] {msg}")
    raise typer.Exit(2) from None

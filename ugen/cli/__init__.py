"""The ``ugen`` command line: a thin layer over ``ugen.service`` (Typer + Rich).

Commands live by subject in :mod:`~ugen.cli.jobs`, :mod:`~ugen.cli.catalog` and
:mod:`~ugen.cli.admin`, :mod:`~ugen.cli.templates` and :mod:`~ugen.cli.social`; importing them registers them on :data:`app`.
"""

from __future__ import annotations

import sys

# isort: off
# Importing registers the commands, in the order the help lists them.
from ugen.cli import jobs  # noqa: F401
from ugen.cli import catalog  # noqa: F401
from ugen.cli import admin  # noqa: F401
from ugen.cli import templates  # noqa: F401
from ugen.cli import social  # noqa: F401
from ugen.cli import review  # noqa: F401
from ugen.cli._app import app
# isort: on

__all__ = ["app", "main"]


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())

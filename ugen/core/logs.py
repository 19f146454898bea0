"""Where log records go: a log file in the data dir, and the terminal when asked.

The CLI prints one clear line per outcome; DBOS's and the libraries' own records (warnings,
tracebacks of failed stages) go to ``<data_dir>/logs/ugen.log``, and to standard error as
well with ``--verbose`` or in the long-running ``serve`` and ``worker`` commands. With
``UGEN_LOG_FORMAT=json`` every line is one JSON object; either way each record about a job
carries its id and secrets are redacted (:mod:`ugen.core.log_records`).
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path
from typing import Literal

from ugen.core.log_records import JobIdFilter, JsonFormatter, TextFormatter
from ugen.core.paths import private_dir, private_file

LOG_FILE = "logs/ugen.log"
_HANDLER_NAME = "ugen-log"
_FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s"
LogFormat = Literal["text", "json"]

# DBOS adds a console handler of this name to its logger unless one exists; a named null
# handler keeps it off the terminal and lets its records reach the root logger's handlers.
DBOS_CONSOLE_HANDLER = "__dbos_console_log_handler__"


class _PrivateLogFile(logging.handlers.RotatingFileHandler):
    """A rotating log file created (with its folder) only when the first record arrives,
    private to its owner."""

    def _open(self):  # type: ignore[no-untyped-def]
        path = Path(self.baseFilename)
        private_dir(path.parent)
        private_file(path)
        return super()._open()


class _CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write to whatever ``sys.stderr`` is at the time of the record, not at start-up."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def quiet_dbos_console() -> None:
    """Route DBOS's records through the root logger instead of its own console handler."""
    dbos_logger = logging.getLogger("dbos")
    if not any(h.name == DBOS_CONSOLE_HANDLER for h in dbos_logger.handlers):
        handler = logging.NullHandler()
        handler.name = DBOS_CONSOLE_HANDLER
        dbos_logger.addHandler(handler)
    dbos_logger.propagate = True


def log_file(data_dir: Path) -> Path:
    return data_dir / LOG_FILE


def unconfigure() -> None:
    """Remove and close the handlers :func:`configure` added."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.name == _HANDLER_NAME]:
        root.removeHandler(handler)
        handler.close()
    logging.captureWarnings(False)


def _formatter(fmt: LogFormat, *, datefmt: str | None = None) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else TextFormatter(_FORMAT, datefmt=datefmt)


def _own(handler: logging.Handler, formatter: logging.Formatter) -> logging.Handler:
    handler.name = _HANDLER_NAME
    handler.setFormatter(formatter)
    handler.addFilter(JobIdFilter())
    return handler


def configure(data_dir: Path, *, to_terminal: bool, level: int = logging.INFO,
              fmt: LogFormat = "text") -> Path:
    """Send log records to the data dir's log file (private to its owner, rotated at 5 MB,
    created when the first record arrives) and, with ``to_terminal``, to standard error.
    ``fmt`` ``json`` writes one JSON object per line to both. Idempotent; returns the log
    file's path."""
    unconfigure()
    root = logging.getLogger()
    path = log_file(data_dir)
    file_handler = _PrivateLogFile(path, maxBytes=5 * 1024 * 1024, backupCount=3,
                                   encoding="utf-8", delay=True)
    root.addHandler(_own(file_handler, _formatter(fmt)))
    if to_terminal:
        root.addHandler(_own(_CurrentStderrHandler(), _formatter(fmt, datefmt="%H:%M:%S")))
    root.setLevel(level)
    logging.captureWarnings(True)
    quiet_dbos_console()
    return path

"""What a log line says: the job it is about, secrets redacted, as text or one JSON object.

Every record that passes a U-Gen handler gets a ``job_id`` attribute: the job named by
:func:`job_log_context` (the API and service code around one job), else the job whose DBOS
workflow is running in this thread. Job workflows are ``job-<job_id>-run<n>`` and their
children's ids extend their parent's, so every step of a job (keyframes, segments, media
stages on another worker) is tagged without passing the id around; DBOS keeps the workflow id
in a context variable of its own, so a pool thread never carries a finished job's id.

Formatters redact the finished line, so a secret is caught wherever it comes from (the
message, an argument, an exception's text): U-Gen API keys (``ugen_sk_...``), bearer tokens,
AWS access key ids and secret keys given by name, and ``key=value`` pairs whose key names a
secret.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime

from dbos import DBOS

REDACTED = "REDACTED"

_job_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("ugen_job_id",
                                                                     default=None)
# Optional "<len>:<shard key>:" prefix of a child under another shard key, then the job's
# workflow id (ugen.pipeline.workflow.workflow_id_for), then any child suffix.
_JOB_WORKFLOW = re.compile(r"^(?:\d+:[^:]*:)?job-(?P<job>.+?)-run\d+(?:-|$)")

_SECRETS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"ugen_sk_[A-Za-z0-9_\-]+"), REDACTED),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]+=*"), rf"\1 {REDACTED}"),
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), REDACTED),
    # A secret given by name: aws_secret_access_key=..., "api_key": "...", password: ...
    (re.compile(r"(?i)([\"']?\b[\w\-]*(?:secret|password|passwd|api[_\-]?key|token|"
                r"signature|credential)[\w\-]*[\"']?\s*[:=]\s*[\"']?)"
                r"(?!REDACTED)[^\s\"'&,;}]+"), rf"\1{REDACTED}"),
)


def redact_secrets(text: str) -> str:
    """``text`` with every key-like value replaced by ``REDACTED``."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


@contextlib.contextmanager
def job_log_context(job_id: str) -> Iterator[None]:
    """Tag the records logged inside the block with ``job_id``."""
    token = _job_id.set(job_id)
    try:
        yield
    finally:
        _job_id.reset(token)


def current_job_id() -> str | None:
    """The job the running code is about, if any (see the module docstring)."""
    explicit = _job_id.get()
    if explicit is not None:
        return explicit
    workflow_id = DBOS.workflow_id
    if workflow_id is None:
        return None
    found = _JOB_WORKFLOW.match(workflow_id)
    return found.group("job") if found else None


class JobIdFilter(logging.Filter):
    """Set ``record.job_id`` (None when the record is about no job); never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "job_id", None) is None:
            record.job_id = current_job_id()
        return True


class TextFormatter(logging.Formatter):
    """Plain lines for people: ``[job <id>]`` after the logger's name when about a job."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        job_id = getattr(record, "job_id", None)
        if job_id:
            line = line.replace(f"[{record.name}] ", f"[{record.name}] [job {job_id}] ", 1)
        return redact_secrets(line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``message``, ``job_id`` and,
    when there is one, ``exc_info`` (the formatted traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "job_id": getattr(record, "job_id", None),
            "process": record.process,
            "thread": record.threadName,
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        # Redacting inside the values keeps the line valid JSON.
        safe = {k: redact_secrets(v) if isinstance(v, str) else v for k, v in entry.items()}
        return json.dumps(safe, ensure_ascii=False, default=str)

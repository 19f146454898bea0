"""Log lines: JSON when asked, the job's id on lines about a job, secrets redacted."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from ugen.core import logs
from ugen.core.log_records import REDACTED, job_log_context, redact_secrets


@pytest.fixture
def json_log(tmp_path: Path) -> Iterator[Path]:
    path = logs.configure(tmp_path, to_terminal=False, fmt="json")
    yield path
    logs.unconfigure()


def lines(path: Path) -> list[dict[str, object]]:
    logging.getLogger().handlers[0].flush()
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_json_lines_parse_and_carry_the_job_id(json_log: Path) -> None:
    log = logging.getLogger("ugen.test")
    log.info("before the job")
    with job_log_context("job-1234"):
        log.warning("stage %s failed", "audio")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("with a traceback")
    found = lines(json_log)
    assert [e["message"] for e in found] == ["before the job", "stage audio failed",
                                             "with a traceback"]
    assert [e["job_id"] for e in found] == [None, "job-1234", "job-1234"]
    assert found[1]["level"] == "WARNING" and found[1]["logger"] == "ugen.test"
    assert "ValueError: boom" in str(found[2]["exc_info"])


@pytest.mark.parametrize("secret", [
    "ugen_sk_live_4f9a8b7c6d5e4f3a2b1c",
    "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    "AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
])
def test_key_like_values_are_redacted_in_log_lines(json_log: Path, secret: str) -> None:
    logging.getLogger("ugen.test").warning("calling the vendor with %s", secret)
    logging.getLogger("ugen.test").error(f"request failed: {{'api_key': '{secret}'}}")
    text = json_log.read_text()
    for entry in lines(json_log):
        assert REDACTED in str(entry["message"])
    secret_part = secret.split("=")[-1].split()[-1]
    assert secret_part not in text


def test_text_lines_are_redacted_and_name_the_job(tmp_path: Path) -> None:
    path = logs.configure(tmp_path, to_terminal=False)
    try:
        with job_log_context("j-9"):
            logging.getLogger("ugen.test").warning("key ugen_sk_abc123 refused")
        logging.getLogger().handlers[0].flush()
        text = path.read_text()
    finally:
        logs.unconfigure()
    assert "[ugen.test] [job j-9] key REDACTED refused" in text
    assert "ugen_sk_abc123" not in text


def test_redaction_leaves_ordinary_text_alone() -> None:
    line = "stage generation completed in 12.5 s (run 1), 3 segments, 240 frames"
    assert redact_secrets(line) == line

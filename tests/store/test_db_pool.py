"""PostgreSQL connections are pinged only after sitting idle, and a dead one is replaced."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, text

from tests.utils.api import isolated_settings
from tests.utils.postgres import temporary_database
from ugen.core.config import Settings
from ugen.store import db

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    with temporary_database() as url, isolated_settings(tmp_path / "data",
                                                        database_url=url) as found:
        yield found


def _backend_pid(settings: Settings) -> int:
    with db.session_scope(settings) as s:
        return int(s.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_busy_connection_is_reused_without_a_ping(settings: Settings) -> None:
    first = _backend_pid(settings)
    engine = db.get_engine(settings)
    statements: list[str] = []

    def seen(_conn: object, _cur: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert _backend_pid(settings) == first  # the same pooled connection
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements == ["SELECT pg_backend_pid()"]  # no ping went before it


def test_an_idle_connection_the_server_killed_is_replaced(settings: Settings,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    engine = db.get_engine(settings)
    with engine.connect() as other:
        with engine.connect() as pooled:
            killed = int(pooled.execute(text("SELECT pg_backend_pid()")).scalar_one())
        # ``pooled`` is back in the pool, idle; the server ends it while it waits there.
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": killed})
        other.commit()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)  # the pooled one counts as idle
    for _ in range(3):  # every pooled connection is checked: the dead one never answers
        assert _backend_pid(settings) != killed

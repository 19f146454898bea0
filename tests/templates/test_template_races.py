"""Concurrent template creations: the limit and the one default hold under overlap."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from ugen import service
from ugen.core.config import Settings
from ugen.service.templates import TemplateConfig
from ugen.store.api_keys import create_account
from ugen.store.db import session_scope
from ugen.store.models import Template
from ugen.store.templates import MAX_TEMPLATES

REQUESTS = 30


def test_concurrent_creations_stop_at_the_limit_with_one_default(settings: Settings) -> None:
    account_id, _ = create_account(settings, "racer", 1000)
    config = TemplateConfig.model_validate({"segment_count": 2})
    service.list_templates(settings, account_id)  # the engine exists before the threads
    barrier = threading.Barrier(REQUESTS)

    def create(i: int) -> str:
        barrier.wait()
        try:
            service.create_template(settings, account_id, name=f"t{i}", description=None,
                                    config=config, is_default=True)
        except service.TemplateLimitError:
            return "limit"
        return "created"

    with ThreadPoolExecutor(REQUESTS) as pool:
        outcomes = Counter(pool.map(create, range(REQUESTS)))
    assert outcomes == {"created": MAX_TEMPLATES, "limit": REQUESTS - MAX_TEMPLATES}
    with session_scope(settings) as s:
        rows = list(s.scalars(select(Template).where(Template.account_id == account_id)))
    assert len(rows) == MAX_TEMPLATES
    assert sum(t.is_default for t in rows) == 1

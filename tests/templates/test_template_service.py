"""The service and store under the routes: the use is counted with the job, or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ugen import service
from ugen.core.config import Settings
from ugen.core.schemas import JobOptions
from ugen.service.templates import PER_JOB_FIELDS, TemplateConfig
from ugen.store.api_keys import create_account
from ugen.store.db import session_scope
from ugen.store.models import Job, Template

OPTIONS = JobOptions.model_validate({"product_name": "Serum", "video_model": "kling3_std",
                                     "segment_duration": 3, "segment_count": 1})


def _jobs(settings: Settings) -> int:
    with session_scope(settings) as s:
        return s.scalar(select(func.count()).select_from(Job)) or 0


def test_submit_job_with_vanished_template_creates_no_job(settings: Settings,
                                                          product_image: Path) -> None:
    account_id, _ = create_account(settings, "a", 1000)
    with pytest.raises(service.TemplateNotFoundError):
        service.submit_job(settings, account_id=account_id, options=OPTIONS,
                           image=product_image, template_id="gone")
    assert _jobs(settings) == 0
    assert service.account_balance(settings, account_id).credit_reserved == 0


def test_submit_job_with_template_counts_use_in_job_transaction(settings: Settings,
                                                                product_image: Path) -> None:
    account_id, _ = create_account(settings, "a", 1000)
    made = service.create_template(settings, account_id, name="t", description=None,
                                   config=TemplateConfig.model_validate({}))
    job_id = service.submit_job(settings, account_id=account_id, options=OPTIONS,
                                image=product_image, template_id=made.id).id
    got = service.template(settings, account_id, made.id)
    assert got.use_count == 1 and got.last_used_at is not None
    assert got.updated_at == made.updated_at  # a use is no edit
    events = service.job_events(settings, account_id, job_id)
    created = next(e for e in events if e.type == "job_created")
    assert created.data["template_id"] == made.id


def test_template_config_has_every_job_option_but_per_job_ones() -> None:
    fields = set(TemplateConfig.model_fields)
    assert fields == (set(JobOptions.model_fields) - PER_JOB_FIELDS) | {"qai_enabled"}


def test_options_with_template_own_fields_win(settings: Settings) -> None:
    account_id, _ = create_account(settings, "a", 1000)
    config = TemplateConfig.model_validate({"segment_count": 4, "music_mood": "chill",
                                            "captions_enabled": False})
    made = service.create_template(settings, account_id, name="t", description=None,
                                   config=config)
    options = service.options_with_template(settings, account_id, made.id,
                                            {"product_name": "P", "segment_count": 2})
    assert (options.segment_count, options.music_mood, options.captions_enabled) == (
        2, "chill", False)
    with session_scope(settings) as s:
        assert s.get(Template, made.id).use_count == 0  # type: ignore[union-attr]


def test_database_refuses_a_second_default_of_one_account(settings: Settings) -> None:
    account_id, _ = create_account(settings, "a", 1000)
    service.create_template(settings, account_id, name="d", description=None,
                            config=TemplateConfig.model_validate({}), is_default=True)
    with pytest.raises(IntegrityError), session_scope(settings) as s:
        s.add(Template(id="second", account_id=account_id, name="x", config={},
                       is_default=True, use_count=0))
        s.flush()

"""Variety by default: a job without ``seed`` gets a fresh random one and a job without
``persona_id`` a random persona, both recorded on the job so a retry replays them."""

from __future__ import annotations

from pathlib import Path

from tests.utils.jobs import submit, wait
from ugen import catalog, service
from ugen.core.config import Settings
from ugen.core.schemas import JobOptions
from ugen.pipeline.prepare import prepare_job
from ugen.pipeline.worker import start_worker


def _prepared(settings: Settings, image: Path, **fields: object) -> dict[str, object]:
    account = service.ensure_default_account(settings)
    options = JobOptions.model_validate({"product_name": "Glow", "video_model": "kling3_std",
                                         "segment_count": 1, "segment_duration": 3,
                                         **fields})
    job = prepare_job(settings, account_id=account, options=options, image=image).job
    return service.job_view(settings, job.id).params


def test_jobs_without_seed_or_persona_get_random_ones_recorded(settings: Settings,
                                                                product_image: Path) -> None:
    params = [_prepared(settings, product_image) for _ in range(12)]
    seeds = [p["seed"] for p in params]
    assert all(isinstance(seed, int) and 0 <= seed < 2**31 for seed in seeds)
    assert len(set(seeds)) == len(seeds)
    personas = {p["persona_id"] for p in params}
    assert personas <= set(catalog.personas())
    # 12 draws from 4 personas all alike has a chance of 4 * (1/4)^12, about 1 in 4 million.
    assert len(personas) > 1


def test_given_seed_and_persona_are_kept(settings: Settings, product_image: Path) -> None:
    persona = sorted(catalog.personas())[2]
    params = _prepared(settings, product_image, seed=0, persona_id=persona)
    assert params["seed"] == 0 and params["persona_id"] == persona


def test_retry_replays_the_recorded_seed_and_persona(settings: Settings,
                                                     product_image: Path) -> None:
    start_worker(settings)
    job_id = submit(settings, product_image, stop_at_stage="agents")
    first = wait(settings, job_id)
    assert first["status"] == "stopped", first["error_message"]
    service.retry_job(settings, job_id, "agents")
    again = wait(settings, job_id)
    assert again["status"] == "stopped", again["error_message"]
    assert again["run_number"] == 2
    assert (again["params"]["seed"], again["params"]["persona_id"]) == \
        (first["params"]["seed"], first["params"]["persona_id"])

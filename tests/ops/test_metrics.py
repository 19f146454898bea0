"""``/metrics``: Prometheus text with the database's state and this process's observations."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.utils.jobs import submit, wait
from ugen.api.main import create_app
from ugen.core.config import Settings
from ugen.core.types import STAGES
from ugen.pipeline import runtime
from ugen.pipeline.worker import start_worker


def scrape(text: str) -> dict[str, list[Sample]]:
    """Samples by family name, from the text exposition format."""
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


def value(samples: list[Sample], name: str, **labels: str) -> float:
    found = [s.value for s in samples if s.name == name and s.labels == labels]
    assert len(found) == 1, (name, labels, samples)
    return found[0]


def call_counts(families: dict[str, list[Sample]]) -> dict[tuple[str, str], float]:
    """Provider call attempts observed so far, by (vendor, code)."""
    return {(s.labels["vendor"], s.labels["code"]): s.value
            for s in families.get("ugen_provider_call_duration_seconds", [])
            if s.name == "ugen_provider_call_duration_seconds_count"}


def get_metrics(settings: Settings) -> dict[str, list[Sample]]:
    client = TestClient(create_app(settings))
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    return scrape(r.text)


def test_metrics_show_a_queued_job_its_credits_and_queue_depth(
    settings: Settings, product_image: Path
) -> None:
    submit(settings, product_image)  # no worker runs: the job waits on the queue
    runtime.stop()
    families = get_metrics(settings)
    assert value(families["ugen_jobs"], "ugen_jobs", status="queued") == 1
    assert value(families["ugen_jobs"], "ugen_jobs", status="completed") == 0
    assert value(families["ugen_credits_reserved"], "ugen_credits_reserved") > 0
    assert value(families["ugen_queue_depth"], "ugen_queue_depth", queue="ugen_jobs",
                 state="enqueued") == 1
    assert value(families["ugen_database_up"], "ugen_database_up") == 1


def test_metrics_after_a_job_ran_show_stages_providers_and_status(
    settings: Settings, product_image: Path
) -> None:
    before = get_metrics(settings)
    start_worker(settings)
    job_id = submit(settings, product_image, music_enabled=True)
    view = wait(settings, job_id)
    assert view["status"] == "completed", view["error_message"]
    runtime.stop(drain_s=10)
    families = get_metrics(settings)

    assert value(families["ugen_jobs"], "ugen_jobs", status="completed") == 1
    assert value(families["ugen_jobs"], "ugen_jobs", status="queued") == 0
    assert value(families["ugen_credits_reserved"], "ugen_credits_reserved") == 0
    stages = families["ugen_stage_duration_seconds"]
    for stage in STAGES[1:]:  # prepare runs at submission, outside the workflow
        count = value(stages, "ugen_stage_duration_seconds_count", stage=stage)
        was = [s.value for s in before.get("ugen_stage_duration_seconds", [])
               if s.name == "ugen_stage_duration_seconds_count" and s.labels == {"stage": stage}]
        assert count == (was[0] if was else 0) + 1, stage
    generation = value(stages, "ugen_stage_duration_seconds_sum", stage="generation")
    assert generation > 0
    # Every call of the job (script, keyframes, video submit and polls, voice, music,
    # alignment) is labelled with the provider that served it: offline, all "local".
    calls = call_counts(families)
    earlier = call_counts(before)
    grown = {label: n - earlier.get(label, 0) for label, n in calls.items()
             if n > earlier.get(label, 0)}
    assert set(grown) == {("local", "ok")}, grown
    assert grown[("local", "ok")] >= 7  # script, 2 keyframes, 2 submits, polls, voice, music
    assert "ugen_provider_errors" in families
    assert "ugen_webhook_deliveries" in families
    assert families["process_resident_memory_bytes"][0].value > 0

"""Schema fuzzing: every operation of the OpenAPI schema, fed generated requests, never 5xx.

Schemathesis generates valid and invalid requests from ``/openapi.json`` and sends them to the
app in process, signed with a valid key. Half of the generated cases are pointed at real
things (an uploaded image as ``product_image_url``, an existing job as ``job_id``), so the
fuzzing reaches past "no such upload" and "no such job" into pricing, reservation, retry and
cancel. No worker runs: created jobs stay queued. The run is seeded and bounded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi

from tests.api.conftest import SMALL_JOB, headers, png_bytes
from tests.utils.api import isolated_settings
from ugen.api.main import create_app
from ugen.core.config import Settings
from ugen.store.api_keys import create_account

# Schemathesis's strategies draw from the `random` module (seeded by Hypothesis, so still
# deterministic); Hypothesis warns about that, and warnings are errors in this suite.
pytestmark = pytest.mark.filterwarnings(
    "ignore::hypothesis.errors.HypothesisDeprecationWarning")

MAX_EXAMPLES = 8
"""Per operation and generation mode (valid and invalid): about 350 requests in all."""


def _operations() -> list[tuple[str, str]]:
    spec = create_app(Settings()).openapi()
    return [(method.upper(), path) for path, item in spec["paths"].items() for method in item]


OPERATIONS = _operations()


@dataclass(frozen=True)
class Fuzz:
    schema: Any
    key: str
    upload_url: str
    job_id: str
    ended_job_id: str
    """A cancelled job, used only for the events stream (which ends once a job has ended)."""

    def adopt(self, case: Any) -> None:
        """Point a generated case at a real upload and job."""
        if "job_id" in (case.path_parameters or {}):
            events = case.operation.path.endswith("/events")
            case.path_parameters["job_id"] = self.ended_job_id if events else self.job_id
        if isinstance(case.body, dict) and "product_image_url" in case.body:
            case.body["product_image_url"] = self.upload_url


def _make_job(client: TestClient, key: str, url: str) -> str:
    r = client.post("/api/v1/jobs", headers=headers(key),
                    json={**SMALL_JOB, "product_image_url": url})
    assert r.status_code == 201, r.text
    job_id: str = r.json()["job_id"]
    return job_id


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzz]:
    with isolated_settings(tmp_path_factory.mktemp("fuzz")) as settings:
        app = create_app(settings)
        _, key = create_account(settings, "fuzz", 1_000_000)
        with TestClient(app) as client:
            r = client.post("/api/v1/uploads/product-image", headers=headers(key),
                            files={"file": ("p.png", png_bytes(), "image/png")})
            assert r.status_code == 201, r.text
            url: str = r.json()["url"]
            job_id = _make_job(client, key, url)
            ended = _make_job(client, key, url)
            r = client.post(f"/api/v1/jobs/{ended}/cancel", headers=headers(key))
            assert r.status_code == 200, r.text
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        try:
            yield Fuzz(schema, key, url, job_id, ended)
        finally:
            asgi.shutdown_lifespans()


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("method", "path"), OPERATIONS,
                         ids=[f"{m} {p.removeprefix('/api/v1')}" for m, p in OPERATIONS])
def test_fuzzed_operation_never_answers_5xx(fuzz: Fuzz, method: str, path: str) -> None:
    operation = fuzz.schema[path][method]
    auth = headers(fuzz.key)
    cases = st.one_of(
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE, headers=auth),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE, headers=auth))
    seen: dict[int, int] = {}

    @hypothesis_settings(max_examples=2 * MAX_EXAMPLES, derandomize=True, database=None,
                         deadline=None, suppress_health_check=list(HealthCheck),
                         phases=[Phase.explicit, Phase.generate])
    @given(case=cases, real=st.booleans())
    def check(case: Any, real: bool) -> None:
        if real:
            fuzz.adopt(case)
        response = case.call()
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        case.validate_response(response, checks=[not_a_server_error])

    check()
    assert seen, "no request was sent"

"""Schema fuzzing: every operation of the OpenAPI schema, fed generated requests, never 5xx.

Schemathesis generates valid and invalid requests from ``/openapi.json`` and sends them to the
app in process, signed with a valid key. Half of the generated cases are pointed at real
things (an uploaded image as ``product_image_url``, an existing job as ``job_id``), so the
fuzzing reaches past "no such upload" and "no such job" into pricing, reservation, retry and
cancel. A generated case may also get one hostile value in one place its schema names (a
body field, nested ones included, a query, path or header parameter): a number JSON cannot
carry (``NaN``, ``Infinity``, ``1e400``, sent as written), or text of blanks, control
characters, lone surrogates and decimal digits that are not ASCII. Besides the random
draws, every such place gets every listed hostile value once. No worker runs: created jobs
stay queued. The run is seeded and bounded; any 5xx fails it.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

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

MAX_EXAMPLES = 25
"""Per operation and generation mode (valid and invalid): about 1,150 requests in all, and
about 3,000 more for the hostile values of every place."""

NON_FINITE = ("NaN", "Infinity", "-Infinity", "1e400", "-1e400")
"""Numbers as written in a body: Python's json reads each as a non-finite float."""
HOSTILE_TEXT = ("", "   ", "\u200b\u2060", "\t\n", "\x00", "a\x00b", "\x1b[2J", "\x85",
                "\u00b2", "1\u00b2", "\u0661\u0662\u0663", "\uff11\uff12", "\U0001d7cf",
                "\u216b", "NaN", "-Infinity", "9" * 40, "-1", "x" * 3000, "%00",
                "../../etc/passwd")
"""Blank, control characters, digits that are not ASCII (superscript, Arabic-Indic,
fullwidth, mathematical, Roman), number-like words, oversize and path-like text."""
SURROGATE = "\ud800"
"""Only in bodies (escaped as ``\\ud800``): a URL or header cannot carry it."""
_CHARACTERS = st.characters(categories=["Nd", "No", "Nl", "Zs", "Cc", "Cf"])


def _header_safe(text: str) -> bool:
    """A header value can carry it: printable latin-1."""
    return all(" " <= c <= "~" or "\xa0" <= c <= "\xff" for c in text)


def _operations() -> list[tuple[str, str]]:
    spec = create_app(Settings()).openapi()
    return [(method.upper(), path) for path, item in spec["paths"].items() for method in item]


OPERATIONS = _operations()
IDS = [f"{m} {p.removeprefix('/api/v1')}" for m, p in OPERATIONS]

# --- where a hostile value can go: the places the schema names -------------------------------

Place = tuple[str, tuple[str | int, ...]]
"""``("body", ("custom_caption_options", "font_size"))``, ``("query", ("expires",))``."""


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _body_places(spec: dict[str, Any], schema: dict[str, Any],
                 path: tuple[str | int, ...] = (), depth: int = 0) -> Iterator[tuple[str | int,
                                                                                     ...]]:
    schema = _resolve(spec, schema)
    if depth > 4:
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _body_places(spec, sub, path, depth + 1)
    if "properties" in schema:
        for name, sub in schema["properties"].items():
            yield (*path, name)
            yield from _body_places(spec, sub, (*path, name), depth + 1)
    elif schema.get("type") == "array":
        yield (*path, 0)
        yield from _body_places(spec, schema.get("items", {}), (*path, 0), depth + 1)


def places(spec: dict[str, Any], method: str, path: str) -> list[Place]:
    """Every parameter and body field (nested ones too) of one operation."""
    op = spec["paths"][path][method.lower()]
    found: list[Place] = [(p["in"], (p["name"],)) for p in op.get("parameters", [])]
    body = op.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None:
        found += [("body", p) for p in dict.fromkeys(_body_places(spec, body["schema"]))]
    return found


@dataclass(frozen=True)
class Hostile:
    place: Place
    value: str
    raw: bool = False
    """``value`` is a JSON number as written (``NaN``), not a string."""


def _set(body: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = body
    for key, nxt in itertools.pairwise(path):
        if isinstance(node, dict):
            child = node.get(key)
            if not isinstance(child, dict | list):
                child = node[key] = [] if isinstance(nxt, int) else {}
        else:
            while len(node) <= int(key):
                node.append([] if isinstance(nxt, int) else {})
            child = node[int(key)]
        node = child
    last = path[-1]
    if isinstance(node, dict):
        node[last] = value
    else:
        while len(node) <= int(last):
            node.append(None)
        node[int(last)] = value


# --- the app under test ------------------------------------------------------------------------

PATH_VALUES = {"name": "final.mp4", "stage": "generation", "platform": "youtube",
               "model_id": "kling3_std"}

@dataclass(frozen=True)
class Fuzz:
    schema: Any
    spec: dict[str, Any]
    client: TestClient
    key: str
    upload_url: str
    job_id: str
    ended_job_id: str
    """A cancelled job, used only for the events stream (which ends once a job has ended)."""
    template_id: str = ""

    def job_for(self, path: str) -> str:
        return self.ended_job_id if path.endswith("/events") else self.job_id

    def path_value(self, path: str, name: str) -> str:
        """A well-formed value of a path parameter: the real job or template where one
        exists, else a plausible id (the route answers 404 for it, never 5xx)."""
        if name == "job_id":
            return self.job_for(path)
        if name == "template_id":
            return self.template_id
        return PATH_VALUES.get(name, "00000000-0000-4000-8000-000000000000")

    def adopt(self, case: Any) -> None:
        """Point a generated case at a real upload and job."""
        if "job_id" in (case.path_parameters or {}):
            case.path_parameters["job_id"] = self.job_for(case.operation.path)
        if "template_id" in (case.path_parameters or {}):
            case.path_parameters["template_id"] = self.template_id
        if isinstance(case.body, dict) and "product_image_url" in case.body:
            case.body["product_image_url"] = self.upload_url

    def base_body(self, path: str) -> dict[str, Any]:
        """A body the operation accepts, to put one hostile value into."""
        if path.endswith("/jobs"):
            return {**SMALL_JOB, "product_image_url": self.upload_url}
        if path.endswith("/webhook"):
            return {"webhook_url": "https://127.0.0.1/h"}
        if path.endswith("/templates"):
            return {"name": "fuzzed", "config": {}}
        return {}

    def send(self, method: str, path: str, *, path_params: dict[str, Any],
             query: dict[str, Any], extra_headers: dict[str, str], body: Any,
             hostile: Hostile | None) -> Any:
        """Send a request, ``hostile``'s value put in its place (bodies as raw JSON)."""
        path_params, query = dict(path_params), dict(query)
        sent_headers: dict[str, str | bytes] = dict(extra_headers)
        content: bytes | None = None
        if hostile is not None:
            where, at = hostile.place
            if where == "body":
                body = body if isinstance(body, dict) else {}
                _set(body, at, "\x00HOSTILE\x00" if hostile.raw else hostile.value)
            elif where == "header":  # as its latin-1 bytes, as a server reads them
                sent_headers[str(at[0])] = hostile.value.encode("latin-1")
            else:
                {"path": path_params, "query": query}[where][str(at[0])] = hostile.value
        if body is not None:
            text = json.dumps(body, ensure_ascii=True)
            if hostile is not None and hostile.raw:
                text = text.replace(json.dumps("\x00HOSTILE\x00"), hostile.value)
            content = text.encode()
            sent_headers["content-type"] = "application/json"
        url = path.format(**{k: quote(str(v), safe="") for k, v in path_params.items()})
        return self.client.request(method, url, params=query, content=content,
                                   headers={**sent_headers, **headers(self.key)})


def _make_job(client: TestClient, key: str, url: str) -> str:
    r = client.post("/api/v1/jobs", headers=headers(key),
                    json={**SMALL_JOB, "product_image_url": url})
    assert r.status_code == 201, r.text
    job_id: str = r.json()["job_id"]
    return job_id


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzz]:
    # No limit on failed key checks: generated headers may carry any key, and a 429 for
    # them would keep the fuzzing from the routes.
    with isolated_settings(tmp_path_factory.mktemp("fuzz"), auth_failure_limit="0",
                           max_concurrent_jobs="0") as settings:
        app = create_app(settings)
        _, key = create_account(settings, "fuzz", 10_000_000)
        with TestClient(app, raise_server_exceptions=False) as client:
            r = client.post("/api/v1/uploads/product-image", headers=headers(key),
                            files={"file": ("p.png", png_bytes(), "image/png")})
            assert r.status_code == 201, r.text
            url: str = r.json()["url"]
            job_id = _make_job(client, key, url)
            ended = _make_job(client, key, url)
            r = client.post(f"/api/v1/jobs/{ended}/cancel", headers=headers(key))
            assert r.status_code == 200, r.text
            r = client.post("/api/v1/templates", headers=headers(key),
                            json={"name": "fuzz", "config": {"segment_count": 2}})
            assert r.status_code == 201, r.text
            schema = schemathesis.openapi.from_asgi("/openapi.json", app)
            try:
                yield Fuzz(schema, app.openapi(), client, key, url, job_id, ended,
                           r.json()["id"])
            finally:
                asgi.shutdown_lifespans()


def _describe(method: str, path: str, hostile: Hostile | None) -> str:
    return f"{method} {path} with {hostile!r}" if hostile else f"{method} {path}"


# --- random: schemathesis cases, some with one hostile value -----------------------------------

def _hostile(place: Place) -> st.SearchStrategy[Hostile]:
    texts = HOSTILE_TEXT + ((SURROGATE,) if place[0] == "body" else ())
    if place[0] == "header":
        texts = tuple(t for t in texts if _header_safe(t))
    strings = st.one_of(st.sampled_from(texts),
                        st.text(_CHARACTERS, min_size=1, max_size=6).filter(
                            lambda t: place[0] != "header" or _header_safe(t)))
    values = strings.map(lambda v: Hostile(place, v))
    if place[0] != "body":
        return values
    numbers = st.one_of(st.sampled_from(NON_FINITE),
                        st.floats(allow_nan=True, allow_infinity=True).map(
                            lambda f: json.dumps(f)))
    return st.one_of(values, numbers.map(lambda v: Hostile(place, v, raw=True)))


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=IDS)
def test_fuzzed_operation_never_answers_5xx(fuzz: Fuzz, method: str, path: str) -> None:
    operation = fuzz.schema[path][method]
    auth = headers(fuzz.key)
    cases = st.one_of(
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE, headers=auth),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE, headers=auth))
    targets = places(fuzz.spec, method, path)
    hostile = (st.one_of(st.none(), st.sampled_from(targets).flatmap(_hostile)) if targets
               else st.none())
    multipart = "multipart/form-data" in (
        fuzz.spec["paths"][path][method.lower()].get("requestBody", {}).get("content", {}))
    seen: dict[int, int] = {}

    @hypothesis_settings(max_examples=2 * MAX_EXAMPLES, derandomize=True, database=None,
                         deadline=None, suppress_health_check=list(HealthCheck),
                         phases=[Phase.explicit, Phase.generate])
    @given(case=cases, real=st.booleans(), bad=hostile)
    def check(case: Any, real: bool, bad: Hostile | None) -> None:
        if real:
            fuzz.adopt(case)
        if bad is None or multipart:
            response = case.call()
            case.validate_response(response, checks=[not_a_server_error])
        else:
            body = case.body if isinstance(case.body, dict | list) else None
            response = fuzz.send(method, path, path_params=case.path_parameters or {},
                                 query=case.query or {}, extra_headers={}, body=body,
                                 hostile=bad)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, (_describe(method, path, bad), response.text)

    check()
    assert seen, "no request was sent"
    assert not [status for status in seen if status >= 500], seen


# --- every place, every listed hostile value ---------------------------------------------------

@pytest.mark.timeout(120)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=IDS)
def test_hostile_values_never_answer_5xx(fuzz: Fuzz, method: str, path: str) -> None:
    targets = places(fuzz.spec, method, path)
    if not targets:
        pytest.skip("the operation takes no parameters and no JSON body")
    path_params = {p: fuzz.path_value(path, p) for p in re.findall(r"{(\w+)}", path)}
    query = {"expires": "1", "signature": "0" * 64} if "/files/" in path else {}
    failures = []
    for place in targets:
        values = [Hostile(place, v) for v in HOSTILE_TEXT]
        if place[0] == "body":
            values += [Hostile(place, SURROGATE)]
            values += [Hostile(place, v, raw=True) for v in NON_FINITE]
        elif place[0] == "header":
            values = [h for h in values if _header_safe(h.value)]
        for bad in values:
            body = fuzz.base_body(path) if place[0] == "body" else None
            r = fuzz.send(method, path, path_params=path_params, query=query,
                          extra_headers={}, body=body, hostile=bad)
            if r.status_code >= 500:
                failures.append((_describe(method, path, bad), r.status_code, r.text[:200]))
    assert not failures, failures

"""JSON bodies are parsed strictly: non-finite numbers and lone surrogates are 422s."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.api.conftest import headers
from ugen.api.strict_json import MAX_DEPTH, StrictJsonRoute, loads_strict
from ugen.core.config import Settings


def _errors(body: bytes) -> list[dict[str, Any]]:
    with pytest.raises(RequestValidationError) as info:
        loads_strict(body)
    return list(info.value.errors())


@pytest.mark.parametrize(("body", "loc", "spelled"), [
    (b'{"a": NaN}', ("body", "a"), "NaN"),
    (b'{"a": Infinity}', ("body", "a"), "Infinity"),
    (b'{"a": -Infinity}', ("body", "a"), "-Infinity"),
    (b'{"a": 1e400}', ("body", "a"), "1e400"),
    (b'{"a": -2.5E+999}', ("body", "a"), "-2.5E+999"),
    (b'{"a": {"b": [1, 2, NaN]}}', ("body", "a", "b", 2), "NaN"),
    (b'[0, Infinity]', ("body", 1), "Infinity"),
])
def test_non_finite_number_named(body: bytes, loc: tuple[Any, ...], spelled: str) -> None:
    (error,) = _errors(body)
    assert error == {"type": "finite_number", "loc": loc,
                     "msg": "Input should be a finite number", "input": spelled}


def test_every_problem_listed() -> None:
    errors = _errors(b'{"a": NaN, "b": ["\\ud800", 1e999], "\\udc00": 1}')
    assert sorted((e["type"], e["loc"]) for e in errors) == [
        ("finite_number", ("body", "a")), ("finite_number", ("body", "b", 1)),
        ("string_unicode", ("body",)), ("string_unicode", ("body", "b", 0))]


@pytest.mark.parametrize("body", [b"{", b'{"a": 1,}', b"\xff\xfe{}", b"[" * 5000 + b"]" * 5000,
                                  b"[" * (MAX_DEPTH + 2) + b"]" * (MAX_DEPTH + 2),
                                  b'{"a": ' + b"7" * 5000 + b"}"])
def test_not_json_is_json_invalid(body: bytes) -> None:
    (error,) = _errors(body)
    assert error["type"] == "json_invalid" and error["loc"][0] == "body"


def test_good_json_unchanged() -> None:
    body = b'{"a": 0.15, "b": [1, -2, 3e10], "c": "caf\\u00e9 \\ud83d\\ude00", "d": null}'
    assert loads_strict(body) == {"a": 0.15, "b": [1, -2, 3e10], "c": "café 😀", "d": None}
    deep = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert loads_strict(deep) is not None


def test_every_json_operation_parses_strictly(client: TestClient, account: tuple[str, str],
                                              settings: Settings) -> None:
    """Every operation with a JSON body, as the OpenAPI document lists them."""
    spec = client.get("/openapi.json").json()
    operations = [(method, path) for path, item in spec["paths"].items()
                  for method, op in item.items()
                  if "application/json" in op.get("requestBody", {}).get("content", {})]
    assert len(operations) >= 5
    h = {**headers(account[1]), "content-type": "application/json"}
    for method, path in operations:
        url = path.replace("{job_id}", "00000000-0000-4000-8000-000000000000")
        r = client.request(method.upper(), url, headers=h, content=b'{"anything": NaN}')
        assert r.status_code == 422, (method, path, r.text)
        assert r.json()["detail"][0]["type"] == "finite_number", (method, path, r.text)


def test_routes_are_strict(settings: Settings) -> None:
    from ugen.api.routes import api_router, tenants

    def leaves(router: Any) -> list[Any]:
        found = []
        for route in router.routes:
            inner = getattr(route, "original_router", None)
            found.extend(leaves(inner) if inner is not None else [route])
        return found

    routes = [r for r in leaves(api_router) + leaves(tenants.router)
              if isinstance(r, APIRoute)]
    assert len(routes) > 20
    assert all(isinstance(r, StrictJsonRoute) for r in routes), [
        r.path for r in routes if not isinstance(r, StrictJsonRoute)]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_retry_and_estimate_bodies_refuse_non_finite(client: TestClient,
                                                     account: tuple[str, str],
                                                     create_job: Any, literal: str) -> None:
    _, key = account
    job_id = create_job(key).json()["job_id"]
    client.post(f"/api/v1/jobs/{job_id}/cancel", headers=headers(key))
    h = {**headers(key), "content-type": "application/json"}
    for path, body in ((f"/api/v1/jobs/{job_id}/retry", f'{{"from_stage": {literal}}}'),
                       ("/api/v1/credits/estimate",
                        f'{{"segment_count": 2, "custom_caption_options": '
                        f'{{"font_size": {literal}}}}}')):
        r = client.post(path, headers=h, content=body.encode())
        assert r.status_code == 422, r.text
        (entry,) = [e for e in r.json()["detail"] if e["type"] == "finite_number"]
        assert entry["loc"][-1] in ("from_stage", "font_size")

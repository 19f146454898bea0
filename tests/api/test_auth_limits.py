"""Repeated failed API-key checks from one address get 429; other addresses are unaffected."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import headers
from ugen.api.auth_limits import FailedAuthLimiter
from ugen.api.errors import ApiError
from ugen.api.main import create_app
from ugen.core.config import Settings

BALANCE = "/api/v1/credits/balance"
ATTACKER = ("203.0.113.9", 40000)
NEIGHBOUR = ("198.51.100.20", 40001)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_refuses_after_limit_within_window() -> None:
    clock = Clock()
    limiter = FailedAuthLimiter(limit=3, window_s=10, clock=clock)
    for _ in range(3):
        limiter.check("a")
        limiter.record_failure("a")
        clock.now += 2  # failures at 1000, 1002, 1004
    with pytest.raises(ApiError) as info:
        limiter.check("a")
    err = info.value
    assert (err.status_code, err.code) == (429, "TOO_MANY_AUTH_FAILURES")
    # Free once the failure at 1000 leaves the window (at 1010): 4 s from 1006.
    assert err.details == {"limit": 3, "window_s": 10, "retry_after": 4}
    assert err.headers == {"Retry-After": "4"}
    limiter.check("b")  # another address
    limiter.check(None)
    clock.now = 1010.5
    limiter.check("a")


def test_limiter_window_slides() -> None:
    clock = Clock()
    limiter = FailedAuthLimiter(limit=2, window_s=10, clock=clock)
    limiter.record_failure("a")
    clock.now += 9
    limiter.record_failure("a")
    with pytest.raises(ApiError):
        limiter.check("a")
    clock.now += 1.5  # the first failure has left the window, the second has not
    limiter.check("a")
    limiter.record_failure("a")
    with pytest.raises(ApiError) as info:
        limiter.check("a")
    assert info.value.details["retry_after"] == 9  # 1009 + 10 - 1010.5, rounded up


def test_limiter_off_and_bounded() -> None:
    off = FailedAuthLimiter(limit=0, window_s=10)
    for _ in range(100):
        off.record_failure("a")
    off.check("a")
    clock = Clock()
    bounded = FailedAuthLimiter(limit=1, window_s=60, max_tracked=2, clock=clock)
    for client in ("a", "b", "c"):
        bounded.record_failure(client)
    bounded.check("a")  # forgotten: the least recently failing address goes first
    for client in ("b", "c"):
        with pytest.raises(ApiError):
            bounded.check(client)


@pytest.fixture
def limited(settings: Settings) -> Iterator[Callable[[tuple[str, int]], TestClient]]:
    app = create_app(settings.model_copy(update={"auth_failure_limit": 3,
                                                 "auth_failure_window_s": 600}))
    clients: list[TestClient] = []

    def client_at(address: tuple[str, int]) -> TestClient:
        c = TestClient(app, client=address)
        clients.append(c)
        return c

    with TestClient(app):  # the lifespan, once
        yield client_at
    for c in clients:
        c.close()


def _assert_429(r: object) -> None:
    assert r.status_code == 429, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == "TOO_MANY_AUTH_FAILURES"
    retry_after = int(r.headers["retry-after"])  # type: ignore[attr-defined]
    assert 0 < retry_after <= 600 and body["error"]["details"]["retry_after"] == retry_after


def test_failed_keys_from_one_address_get_429(
        limited: Callable[[tuple[str, int]], TestClient],
        make_account: Callable[..., tuple[str, str]], create_job: Callable[..., object]) -> None:
    _, key = make_account()
    attacker, neighbour = limited(ATTACKER), limited(NEIGHBOUR)
    for guess in ("ugen_sk_guess1", "ugen_sk_guess2", "not-even-a-key"):
        assert attacker.get(BALANCE, headers=headers(guess)).status_code == 401
    _assert_429(attacker.get(BALANCE, headers=headers("ugen_sk_guess4")))
    # Refused before any key is looked at: a right key from there gets no answer either.
    _assert_429(attacker.get(BALANCE, headers=headers(key)))
    _assert_429(attacker.get("/api/v1/jobs/00000000-0000-4000-8000-000000000000",
                             headers=headers(key)))
    _assert_429(attacker.post("/api/v1/uploads/product-image", headers=headers(key),
                              files={"file": ("p.png", b"x", "image/png")}))
    # Others are served as before.
    r = neighbour.get(BALANCE, headers=headers(key))
    assert r.status_code == 200 and r.json()["credit_balance"] == 1000


def test_status_fast_path_counts_failures(limited: Callable[[tuple[str, int]], TestClient],
                                          make_account: Callable[..., tuple[str, str]]) -> None:
    _, key = make_account()
    attacker = limited(ATTACKER)
    job = "/api/v1/jobs/00000000-0000-4000-8000-000000000000"
    for guess in ("ugen_sk_a", "ugen_sk_b", "ugen_sk_c"):
        assert attacker.get(job, headers={"Authorization": f"Bearer {guess}"}
                            ).status_code == 401
    _assert_429(attacker.get(job, headers=headers(key)))
    _assert_429(attacker.get(BALANCE, headers=headers(key)))
    assert limited(NEIGHBOUR).get(job, headers=headers(key)).status_code == 404


def test_requests_without_key_are_not_counted(
        limited: Callable[[tuple[str, int]], TestClient],
        make_account: Callable[..., tuple[str, str]]) -> None:
    _, key = make_account()
    client = limited(ATTACKER)
    for _ in range(10):
        assert client.get(BALANCE).status_code == 401
    assert client.get(BALANCE, headers=headers(key)).status_code == 200

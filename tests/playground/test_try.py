"""The Playground on the local provider: a try completes with a real video of the asked
duration and shape, billed as one segment of its model (reserved, then consumed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from tests.playground.conftest import keyed, probe, wait_task


def ledger_of(client: TestClient, key: str, task_id: str) -> list[dict[str, object]]:
    r = client.get("/api/v1/credits/transactions", headers=keyed(key),
                   params={"job_id": task_id})
    assert r.status_code == 200, r.text
    items: list[dict[str, object]] = r.json()["items"]
    return items


def balance(client: TestClient, key: str) -> dict[str, int]:
    body: dict[str, int] = client.get("/api/v1/credits/balance", headers=keyed(key)).json()
    return body


def test_try_with_first_frame_completes_with_asked_duration_and_aspect(
        client: TestClient, make_account: Callable[..., tuple[str, str]],
        upload: Callable[..., str], tmp_path: Path) -> None:
    _, key = make_account(1000)
    frame = upload(key)
    r = client.post("/api/v1/models/kling3_std/try", headers=keyed(key), json={
        "prompt": "The serum bottle turns slowly on a marble table", "first_frame": frame,
        "aspect_ratio": "1:1", "duration": 3})
    assert r.status_code == 202, r.text
    queued = r.json()
    assert queued["status"] in ("queued", "running")
    assert queued["credits_reserved"] == 15  # kling3_std: 5 credits a second, 3 s
    assert queued["video_url"] is None and queued["error"] is None
    assert (queued["width"], queued["height"], queued["resolution"]) == (720, 720, "720p")

    done = wait_task(client, key, queued["task_id"])
    assert done["status"] == "completed", done["error"]
    assert done["progress_percent"] == 100 and done["credits_charged"] == 15
    assert done["finished_at"] >= done["started_at"] >= done["created_at"]

    video = client.get(done["video_url"])  # signed: no API key needed
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    path = tmp_path / "try.mp4"
    path.write_bytes(video.content)
    facts = probe(path)
    stream = next(s for s in facts["streams"] if s["codec_type"] == "video")
    assert (stream["width"], stream["height"]) == (720, 720)
    assert abs(float(facts["format"]["duration"]) - 3.0) < 0.15

    rows = ledger_of(client, key, queued["task_id"])
    assert [(r["type"], r["amount"]) for r in rows] == [("consume", -15), ("reserve", -15)]
    assert all("playground try kling3_std" in str(r["description"]) for r in rows)
    assert balance(client, key) == {"credit_balance": 985, "credit_reserved": 0,
                                    "available_credits": 985}

    tampered = done["video_url"].replace("signature=", "signature=0")
    assert client.get(tampered).status_code == 403


def test_first_and_last_frame_try_renders_between_them(
        client: TestClient, make_account: Callable[..., tuple[str, str]],
        upload: Callable[..., str], tmp_path: Path) -> None:
    _, key = make_account(1000)
    first, last = upload(key), upload(key, size=(640, 480))
    r = client.post("/api/v1/models/kling3_std/try", headers=keyed(key), json={
        "prompt": "A hand reaches in and picks the bottle up",
        "first_frame": f"ugen://uploads/{first}", "last_frame": last,
        "aspect_ratio": "16:9", "duration": 3, "resolution": "720p", "seed": 7})
    assert r.status_code == 202, r.text
    done = wait_task(client, key, r.json()["task_id"])
    assert done["status"] == "completed", done["error"]
    path = tmp_path / "fl.mp4"
    path.write_bytes(client.get(done["video_url"]).content)
    facts = probe(path)
    stream = next(s for s in facts["streams"] if s["codec_type"] == "video")
    assert (stream["width"], stream["height"]) == (1280, 720)
    assert abs(float(facts["format"]["duration"]) - 3.0) < 0.15


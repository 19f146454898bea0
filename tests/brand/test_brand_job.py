"""A job with ``brand_kit_enabled``: the logo drawn in the one final encode, from the copy
the job took when it was created; refused at creation without a logo."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import headers
from tests.brand.conftest import LOGO_COLOUR, picture_bytes
from ugen.core.config import Settings
from ugen.core.types import TERMINAL_STATUSES
from ugen.media import render
from ugen.media.probe import probe
from ugen.media.runner import run_capture
from ugen.media.watermark import WatermarkSpec, placement
from ugen.pipeline.worker import start_worker
from ugen.store.artifacts import ArtifactKey, artifact_store

LOGO = "/api/v1/tenants/me/brand-kit/logo"


def _frame(video: Path, at_s: float, size: tuple[int, int]) -> np.ndarray:
    raw, _ = run_capture(["ffmpeg", "-v", "error", "-ss", f"{at_s:.2f}", "-i", str(video),
                       "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    width, height = size
    return np.frombuffer(raw, np.uint8).reshape(height, width, 3)


def test_brand_kit_without_logo_is_refused_at_creation(
        client: TestClient, account: tuple[str, str], create_job: Callable[..., Any]) -> None:
    _, key = account
    r = create_job(key, brand_kit_enabled=True)
    assert r.status_code == 422, r.text
    (entry,) = r.json()["detail"]
    assert entry["loc"] == ["body", "brand_kit_enabled"]
    assert "no brand-kit logo" in entry["msg"] and "brand-kit/logo" in entry["msg"]
    jobs = client.get("/api/v1/jobs", headers=headers(key)).json()
    assert jobs["total"] == 0  # nothing created, nothing reserved
    bal = client.get("/api/v1/credits/balance", headers=headers(key)).json()
    assert bal["credit_reserved"] == 0


def test_watermark_drawn_in_the_single_final_encode(
        settings: Settings, client: TestClient, account: tuple[str, str],
        create_job: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    _, key = account
    encodes: list[list[str]] = []
    real_run, real_fed = render.run_ffmpeg, render.encode_fed  # type: ignore[attr-defined]

    def run_spy(args: list[str], **kw: Any) -> Any:
        encodes.append(list(args))
        return real_run(args, **kw)

    def fed_spy(argv: list[str], *a: Any, **kw: Any) -> Any:
        encodes.append(list(argv))
        return real_fed(argv, *a, **kw)

    monkeypatch.setattr(render, "run_ffmpeg", run_spy)
    monkeypatch.setattr(render, "encode_fed", fed_spy)
    r = client.post(LOGO, headers=headers(key),
                    files={"file": ("logo.png", picture_bytes("PNG", (200, 100)), "image/png")})
    assert r.status_code == 201, r.text
    spec = {"position": "top_left", "opacity": 1.0, "size": 0.25, "margin": 0.05}
    assert client.put("/api/v1/tenants/me/brand-kit", headers=headers(key),
                      json=spec).status_code == 200
    start_worker(settings)
    r = create_job(key, brand_kit_enabled=True, aspect_ratio="1:1")
    assert r.status_code == 201, r.text
    job_id = r.json()["job_id"]
    # A later logo (blue) and settings do not change this job: it drew its own copy.
    blue = picture_bytes("PNG", (100, 100), (0, 0, 255, 255))
    assert client.post(LOGO, headers=headers(key),
                       files={"file": ("b.png", blue, "image/png")}).status_code == 201
    client.put("/api/v1/tenants/me/brand-kit", headers=headers(key),
               json={"position": "bottom_right"})
    deadline = time.monotonic() + 240
    while True:
        job = client.get(f"/api/v1/jobs/{job_id}", headers=headers(key)).json()
        if job["status"] in TERMINAL_STATUSES or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert job["status"] == "completed", job

    x264 = [args for args in encodes if "libx264" in args]
    assert len(x264) == 1, [" ".join(a) for a in encodes]
    graph = x264[0][x264[0].index("-filter_complex") + 1]
    assert "overlay=" in graph and "ass=" in graph

    video = artifact_store(settings).path(ArtifactKey(f"{job_id}/final.mp4"))
    info = probe(video).video
    assert info is not None
    size = (info.width, info.height)
    x, y, w, h = placement(WatermarkSpec.model_validate(spec), (200, 100), size)
    assert (x, y) == (int(0.05 * size[0]) // 2 * 2,) * 2
    frame = _frame(video, 1.0, size).astype(int)
    inner = frame[y + h // 4:y + 3 * h // 4, x + w // 4:x + 3 * w // 4].reshape(-1, 3)
    mean = inner.mean(axis=0)
    assert np.abs(mean - np.array(LOGO_COLOUR)).max() < 40, mean
    # The opposite corner has no logo (neither the red one nor the later blue one).
    corner = frame[size[1] - y - h:size[1] - y, size[0] - x - w:size[0] - x].reshape(-1, 3)
    assert np.abs(corner.mean(axis=0) - np.array(LOGO_COLOUR)).max() > 60
    assert not (corner[:, 2] > 200).mean() > 0.5

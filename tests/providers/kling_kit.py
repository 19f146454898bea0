"""Fixtures for the Kling adapter tests: the fake on loopback and an adapter pointed at it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from tests.providers.fakes.kling import FakeKling
from tests.utils.images import product_png
from ugen import catalog
from ugen.providers.base import SegmentRequest
from ugen.providers.kling import KlingVideoProvider
from ugen.providers.vendor import Timeouts, load_vendor_models

ACCESS_KEY = "ak-test-3f9a1c"
SECRET_KEY = "sk-test-SUPERSECRET-7d41b2e9-0c55aa19f3e2b7d4"


@dataclass
class KlingRig:
    fake: FakeKling
    url: str
    tmp: Path

    def adapter(self, *, secret: str = SECRET_KEY) -> KlingVideoProvider:
        return KlingVideoProvider(
            access_key=SecretStr(ACCESS_KEY), secret_key=SecretStr(secret),
            models=load_vendor_models(), work_dir=self.tmp / "kling-out", base_url=self.url,
            timeouts=Timeouts(submit_s=10, poll_s=10, download_s=30))

    def request(self, *, index: int = 0, seed: int = 7, duration_s: float = 3.0,
                model_id: str = "kling3_std") -> SegmentRequest:
        first = product_png(self.tmp / f"a{index}.png", size=(320, 320), alpha=False)
        last = product_png(self.tmp / f"b{index}.png", size=(320, 320), alpha=False)
        return SegmentRequest(
            index=index, first_frame=first, last_frame=last, prompt="she lifts the bottle",
            spoken_line="This serum changed my mornings.", language="en",
            voice=next(iter(catalog.voices().values())), duration_s=duration_s, width=320,
            height=320, fps=30, model_id=model_id, sound=True, seed=seed,
            out_path=self.tmp / "job" / "run1" / f"seg_{index:02d}.mp4")

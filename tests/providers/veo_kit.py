"""The Veo adapter pointed at the fake Vertex AI server (API key, or ADC and Cloud Storage)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from tests.providers.fakes.google_cloud import FakeGoogleCloud
from tests.providers.fakes.veo import FakeVeo
from tests.utils.images import product_png
from ugen import catalog
from ugen.core.config import Settings
from ugen.providers.base import SegmentRequest
from ugen.providers.vendor import Timeouts, load_vendor_models
from ugen.providers.veo import VeoVideoProvider

API_KEY = "AIza-test-VEO-KEY-5b7e0c1d9f"


@dataclass
class VeoRig:
    fake: FakeVeo
    url: str
    tmp: Path

    def adapter(self, *, key: str = API_KEY) -> VeoVideoProvider:
        settings = Settings(data_dir=self.tmp / "data", veo_api_key=SecretStr(key),
                            veo_base_url=self.url)
        return VeoVideoProvider.from_settings(
            settings, models=load_vendor_models(), work_dir=self.tmp / "veo-out",
            timeouts=Timeouts(submit_s=10, poll_s=10, download_s=30))

    def request(self, *, seed: int = 11, duration_s: float = 8.0,
                size: tuple[int, int] = (320, 568)) -> SegmentRequest:
        first = product_png(self.tmp / "a.png", size=size, alpha=False)
        last = product_png(self.tmp / "b.png", size=size, alpha=False)
        return SegmentRequest(
            index=0, first_frame=first, last_frame=last, prompt="she lifts the bottle",
            spoken_line="This serum changed my mornings.", language="en",
            voice=next(iter(catalog.voices().values())), duration_s=duration_s,
            width=size[0], height=size[1], fps=24, model_id="veo3_fast", sound=True,
            seed=seed, out_path=self.tmp / "job" / "run1" / "seg_00.mp4")


BUCKET = "ugen-test-bucket"


@dataclass
class VeoAdcRig:
    """The fake Vertex AI trusting tokens of the fake Google sign-in, whose key file
    ``GOOGLE_APPLICATION_CREDENTIALS`` names; Cloud Storage served by the same fake."""

    fake: FakeVeo
    google: FakeGoogleCloud
    url: str
    token_uri: str
    tmp: Path

    def adapter(self, *, gcs: bool = True, api_key: str | None = None) -> VeoVideoProvider:
        settings = Settings(data_dir=self.tmp / "data", veo_project=self.fake.project,
                            veo_location=self.fake.location, veo_base_url=self.url,
                            veo_api_key=SecretStr(api_key) if api_key else None,
                            veo_output_gcs_uri=f"gs://{BUCKET}/veo/" if gcs else None)
        return VeoVideoProvider.from_settings(
            settings, models=load_vendor_models(), work_dir=self.tmp / "veo-out",
            timeouts=Timeouts(submit_s=10, poll_s=10, download_s=30))

    def request(self, *, seed: int = 11) -> SegmentRequest:
        return VeoRig(self.fake, self.url, self.tmp).request(seed=seed)

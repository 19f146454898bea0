"""Which video adapter a job gets: by configuration and by the job's model, and why."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.providers.kling_kit import KlingRig
from ugen.core.config import Settings
from ugen.providers.base import SegmentRequest, VideoPoll
from ugen.providers.choice import choose_video, configured_vendors, video_plan
from ugen.providers.kling import KlingVideoProvider
from ugen.providers.local.segments import LocalVideoProvider
from ugen.providers.local.voice import LocalVoiceProvider
from ugen.providers.vendor import MissingCredentialsError
from ugen.providers.video_router import VideoRouter, route_video, video_output_problem


class RecordingVideo:
    """An offline provider that records what reached it."""

    def __init__(self) -> None:
        self.submitted: list[str] = []
        self.polled: list[str] = []

    def submit(self, request: SegmentRequest) -> str:
        self.submitted.append(request.model_id)
        return f"lv-{len(self.submitted)}"

    def poll(self, task_id: str) -> VideoPoll:
        self.polled.append(task_id)
        return VideoPoll("pending")


def offline(tmp_path: Path) -> LocalVideoProvider:
    return LocalVideoProvider(LocalVoiceProvider(), tmp_path / "tasks")


def test_route_video_without_keys_stays_offline(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, kling_access_key=None, kling_secret_key=None,
                        veo_api_key=None, veo_project=None)
    local = offline(tmp_path)
    assert configured_vendors(settings) == ()
    assert route_video(settings, local) is local
    assert choose_video(settings, "kling3_pro").reason == (
        "kling3_pro → offline (local): Kling keys not configured")


def test_route_video_offline_setting_ignores_keys(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, video_provider="offline",
                        kling_access_key=SecretStr("a"), kling_secret_key=SecretStr("s"))
    local = offline(tmp_path)
    assert route_video(settings, local) is local
    assert choose_video(settings, "kling3_pro").reason == (
        "kling3_pro → offline (local): UGEN_VIDEO_PROVIDER=offline")


def test_route_video_kling_keys_route_kling_models_only(kling: KlingRig) -> None:
    settings = Settings(data_dir=kling.tmp, kling_access_key=SecretStr("a"),
                        kling_secret_key=SecretStr("s"), kling_base_url=kling.url,
                        veo_api_key=None, veo_project=None)
    recording = RecordingVideo()
    router = route_video(settings, recording)
    assert isinstance(router, VideoRouter)
    assert isinstance(router.vendors["kling"], KlingVideoProvider)
    assert router.vendor_for("kling3_pro") == "kling"
    assert router.vendor_for("veo3_fast") is None  # no Veo keys: offline
    assert router.submit(kling.request(model_id="veo3_fast")) == "lv-1"
    assert router.poll("lv-1").state == "pending" and recording.polled == ["lv-1"]
    assert router.plan["kling3_pro"].reason == (
        "kling3_pro → Kling: keys configured")


def test_route_video_vendor_setting_without_keys_fails_job(tmp_path: Path,
                                                           kling: KlingRig) -> None:
    settings = Settings(data_dir=tmp_path, video_provider="vendor", kling_access_key=None,
                        kling_secret_key=None, veo_api_key=None, veo_project=None)
    router = route_video(settings, RecordingVideo())
    with pytest.raises(MissingCredentialsError, match="UGEN_KLING_ACCESS_KEY"):
        router.submit(kling.request())
    with pytest.raises(MissingCredentialsError):
        router.poll("veo:projects/p/operations/1")


def test_poll_kling_task_id_goes_to_kling(kling: KlingRig) -> None:
    recording = RecordingVideo()
    settings = Settings(data_dir=kling.tmp, kling_access_key=SecretStr("a"),
                        kling_secret_key=SecretStr("s"), veo_api_key=None, veo_project=None)
    router = VideoRouter(recording, {"kling": kling.adapter()}, video_plan(settings))
    task_id = router.submit(kling.request())
    assert task_id.startswith("kling:kt") and recording.submitted == []
    assert router.poll(task_id).state in ("pending", "succeeded")
    assert recording.polled == []


def test_named_video_vendor_renders_its_models_and_leaves_the_others_offline(
        tmp_path: Path, kling: KlingRig) -> None:
    settings = Settings(data_dir=tmp_path, video_provider="kling", kling_access_key=None,
                        kling_secret_key=None, veo_api_key=SecretStr("v"), veo_project=None)
    plan = video_plan(settings)
    assert {m: c.adapter for m, c in plan.items()} == {
        "kling3_4k": "kling", "kling3_pro": "kling", "kling3_std": "kling",
        "veo3": "local", "veo3_fast": "local"}
    assert plan["kling3_pro"].missing == "UGEN_KLING_ACCESS_KEY and UGEN_KLING_SECRET_KEY"
    assert plan["veo3"].reason == "veo3 → offline (local): UGEN_VIDEO_PROVIDER=kling"
    recording = RecordingVideo()
    router = route_video(settings, recording)
    assert isinstance(router, VideoRouter) and router.vendors == {}  # Veo is not used
    assert router.submit(kling.request(model_id="veo3_fast")) == "lv-1"
    with pytest.raises(MissingCredentialsError, match="UGEN_KLING_SECRET_KEY"):
        router.submit(kling.request(model_id="kling3_std"))


def test_video_provider_simulated_and_aliases(tmp_path: Path) -> None:
    keyed = Settings(data_dir=tmp_path, kling_access_key=SecretStr("a"),
                     kling_secret_key=SecretStr("s"), veo_api_key=None, veo_project=None)
    auto_sim = keyed.model_copy(update={"providers": "simulated"})
    assert choose_video(auto_sim, "kling3_pro").adapter == "kling"
    assert choose_video(auto_sim, "veo3").adapter == "simulated"
    named = keyed.model_copy(update={"video_provider": "simulated"})
    assert choose_video(named, "kling3_pro").reason == (
        "kling3_pro → offline (simulated): UGEN_VIDEO_PROVIDER=simulated")
    vendor = keyed.model_copy(update={"video_provider": "vendor"})
    assert choose_video(vendor, "kling3_pro").reason == (
        "kling3_pro → Kling: UGEN_VIDEO_PROVIDER=vendor")
    assert choose_video(vendor, "not_a_model").reason == (
        "not_a_model → offline (local): no vendor model in the video vendors file")


def test_output_bucket_problem_only_where_veo_renders(tmp_path: Path) -> None:
    veo = Settings(data_dir=tmp_path, veo_api_key=SecretStr("v"), veo_project=None)
    assert "UGEN_VEO_OUTPUT_GCS_URI" in (video_output_problem(veo, "veo3") or "")
    assert video_output_problem(veo, "veo3_fast") is None  # 1080p comes back inline
    for other in (veo.model_copy(update={"video_provider": "offline"}),
                  veo.model_copy(update={"video_provider": "kling"}),
                  veo.model_copy(update={"veo_output_gcs_uri": "gs://b/p/"}),
                  Settings(data_dir=tmp_path, veo_api_key=None, veo_project=None,
                           video_provider="vendor")):
        assert video_output_problem(other, "veo3") is None

"""Which video adapter a job gets: by configuration and by the job's model."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.providers.kling_kit import KlingRig
from ugen.core.config import Settings
from ugen.providers.base import SegmentRequest, VideoPoll
from ugen.providers.kling import KlingVideoProvider
from ugen.providers.local.segments import LocalVideoProvider
from ugen.providers.local.voice import LocalVoiceProvider
from ugen.providers.vendor import MissingCredentialsError
from ugen.providers.video_router import VideoRouter, configured_vendors, route_video


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


def test_route_video_offline_setting_ignores_keys(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, video_provider="offline",
                        kling_access_key=SecretStr("a"), kling_secret_key=SecretStr("s"))
    local = offline(tmp_path)
    assert route_video(settings, local) is local


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
    router = VideoRouter(recording, {"kling": kling.adapter()},
                         {m.model_id: m for m in kling.adapter().models.values()})
    task_id = router.submit(kling.request())
    assert task_id.startswith("kling:kt") and recording.submitted == []
    assert router.poll(task_id).state in ("pending", "succeeded")
    assert recording.polled == []

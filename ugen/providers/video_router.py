"""The video provider a job gets: its model's vendor adapter, or the offline provider.

Which adapter renders each model is decided by :func:`ugen.providers.choice.choose_video`
(``UGEN_VIDEO_PROVIDER``); the router holds that plan and dispatches each request by its
``SegmentRequest.model_id``. A vendor task id comes back prefixed with the vendor
(``kling:<task id>``, ``veo:<operation name>``), so a poll after a restart reaches the same
adapter; offline ids (``lv-…``, ``sim:…``) go to the offline provider.
"""

from __future__ import annotations

from collections.abc import Mapping

from ugen.core.config import Settings
from ugen.providers.base import SegmentRequest, VideoPoll, VideoProvider
from ugen.providers.choice import KEYS, Choice, choose_video, video_plan
from ugen.providers.vendor import (
    VENDORS,
    MissingCredentialsError,
    Timeouts,
    Vendor,
    VendorVideoModel,
    load_vendor_models,
    needs_output_bucket,
)


class VideoRouter:
    """A :class:`~ugen.providers.base.VideoProvider` that dispatches by model and task id.

    ``plan`` maps model ids to their :class:`~ugen.providers.choice.Choice`; a model outside
    it renders offline, and a vendor chosen without its keys fails the request.
    """

    def __init__(self, offline: VideoProvider, vendors: Mapping[Vendor, VideoProvider],
                 plan: Mapping[str, Choice]) -> None:
        self.offline = offline
        self.vendors = dict(vendors)
        self.plan = dict(plan)

    def vendor_for(self, model_id: str) -> Vendor | None:
        """The vendor that renders ``model_id``, or None for the offline provider."""
        choice = self.plan.get(model_id)
        vendor = next((v for v in VENDORS if choice is not None and v == choice.adapter), None)
        if vendor is None:
            return None
        if vendor not in self.vendors:
            raise MissingCredentialsError(
                f"{vendor}: video model {model_id} needs {KEYS[vendor]}", provider=vendor)
        return vendor

    def submit(self, request: SegmentRequest) -> str:
        vendor = self.vendor_for(request.model_id)
        if vendor is None:
            return self.offline.submit(request)
        return f"{vendor}:{self.vendors[vendor].submit(request)}"

    def poll(self, task_id: str) -> VideoPoll:
        prefix, sep, inner = task_id.partition(":")
        vendor = next((v for v in VENDORS if v == prefix), None) if sep else None
        if vendor is None:
            return self.offline.poll(task_id)
        adapter = self.vendors.get(vendor)
        if adapter is None:
            raise MissingCredentialsError(f"{vendor}: task {inner} needs {KEYS[vendor]}",
                                          provider=vendor)
        return adapter.poll(inner)


def video_output_problem(settings: Settings, model_id: str) -> str | None:
    """Why a job on ``model_id`` could not get its videos back as configured, or None.

    Only when the Veo adapter would render it (its keys configured and chosen for the model):
    a resolution Vertex AI does not return inline (4K) needs ``UGEN_VEO_OUTPUT_GCS_URI``.
    Offline the job renders locally, whatever the resolution.
    """
    models = load_vendor_models(settings.video_vendors_file)
    choice = choose_video(settings, model_id, models)
    model = models.get(model_id)
    if choice.adapter != "veo" or choice.missing or model is None:
        return None
    if not needs_output_bucket(model) or settings.veo_output_gcs_uri:
        return None
    return (f"{model_id} renders at {model.resolution} on Veo, and Vertex AI returns videos "
            f"that large only through Cloud Storage: set UGEN_VEO_OUTPUT_GCS_URI to a "
            f"gs://bucket/prefix/ (or choose a model of lower resolution)")


def timeouts_from(settings: Settings) -> Timeouts:
    return Timeouts(submit_s=settings.vendor_submit_timeout_s,
                    poll_s=settings.vendor_poll_timeout_s,
                    download_s=settings.vendor_download_timeout_s,
                    max_download_bytes=settings.vendor_max_download_bytes)


def build_vendor(settings: Settings, vendor: Vendor,
                 models: Mapping[str, VendorVideoModel]) -> VideoProvider:
    """The adapter of ``vendor`` from settings (its keys must be configured)."""
    work_dir = settings.work_dir / "video-tasks" / vendor
    if vendor == "kling":
        from ugen.providers.kling import KlingVideoProvider

        assert settings.kling_access_key is not None and settings.kling_secret_key is not None
        return KlingVideoProvider(access_key=settings.kling_access_key,
                                  secret_key=settings.kling_secret_key, models=models,
                                  work_dir=work_dir, base_url=settings.kling_base_url,
                                  timeouts=timeouts_from(settings))
    from ugen.providers.veo import VeoVideoProvider

    return VeoVideoProvider.from_settings(settings, models=models, work_dir=work_dir,
                                          timeouts=timeouts_from(settings))


def route_video(settings: Settings, offline: VideoProvider) -> VideoProvider:
    """``offline`` alone when no model is chosen for a vendor, else a :class:`VideoRouter`
    over it and the chosen vendors' adapters."""
    plan = video_plan(settings)
    chosen = {c.adapter for c in plan.values() if not c.offline}
    if not chosen:
        return offline
    models = load_vendor_models(settings.video_vendors_file)
    ready = {c.adapter for c in plan.values() if not c.offline and not c.missing}
    adapters = {v: build_vendor(settings, v, models) for v in VENDORS if v in ready}
    return VideoRouter(offline, adapters, plan)

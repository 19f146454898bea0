"""The video provider a job gets: its model's vendor adapter, or the offline provider.

The model choice selects the adapter per job (``SegmentRequest.model_id`` → vendor via
``video_vendors.toml``). A vendor task id comes back prefixed with the vendor
(``kling:<task id>``, ``veo:<operation name>``), so a poll after a restart reaches the same
adapter; offline ids (``lv-…``, ``sim:…``) go to the offline provider.

``UGEN_VIDEO_PROVIDER``: ``auto`` uses a vendor whose keys are configured and the offline
provider otherwise (so without keys everything stays offline); ``offline`` never calls a
vendor; ``vendor`` always does, failing a job whose vendor has no keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from ugen.core.config import Settings
from ugen.providers.base import SegmentRequest, VideoPoll, VideoProvider
from ugen.providers.vendor import (
    VENDORS,
    MissingCredentialsError,
    Timeouts,
    Vendor,
    VendorVideoModel,
    load_vendor_models,
)

REQUIRED_KEYS: dict[Vendor, str] = {
    "kling": "UGEN_KLING_ACCESS_KEY and UGEN_KLING_SECRET_KEY",
    "veo": "UGEN_VEO_API_KEY or UGEN_VEO_PROJECT (with Google credentials)",
}


class VideoRouter:
    """A :class:`~ugen.providers.base.VideoProvider` that dispatches by model and task id."""

    def __init__(self, offline: VideoProvider, vendors: Mapping[Vendor, VideoProvider],
                 models: Mapping[str, VendorVideoModel], *, always_vendor: bool = False) -> None:
        self.offline = offline
        self.vendors = dict(vendors)
        self.models = dict(models)
        self.always_vendor = always_vendor

    def vendor_for(self, model_id: str) -> Vendor | None:
        """The vendor that renders ``model_id``, or None for the offline provider."""
        model = self.models.get(model_id)
        if model is None:
            return None
        if model.vendor in self.vendors:
            return model.vendor
        if self.always_vendor:
            raise MissingCredentialsError(
                f"{model.vendor}: video model {model_id} needs {REQUIRED_KEYS[model.vendor]}",
                provider=model.vendor)
        return None

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
            raise MissingCredentialsError(f"{vendor}: task {inner} needs "
                                          f"{REQUIRED_KEYS[vendor]}", provider=vendor)
        return adapter.poll(inner)


def configured_vendors(settings: Settings) -> tuple[Vendor, ...]:
    """Vendors whose keys are present (nothing is called to check them)."""
    found: list[Vendor] = []
    if settings.kling_access_key and settings.kling_secret_key:
        found.append("kling")
    if settings.veo_api_key or settings.veo_project:
        found.append("veo")
    return tuple(found)


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
    """``offline`` alone, or a :class:`VideoRouter` over it and the configured vendors."""
    if settings.video_provider == "offline":
        return offline
    vendors = configured_vendors(settings)
    if not vendors and settings.video_provider == "auto":
        return offline
    models = load_vendor_models(settings.video_vendors_file)
    adapters = {v: build_vendor(settings, v, models) for v in vendors}
    return VideoRouter(offline, adapters, models,
                       always_vendor=settings.video_provider == "vendor")


def settings_fingerprint(settings: Settings) -> str:
    """A digest of every setting that changes the routing (secrets hashed, never kept)."""
    parts = [settings.video_provider, str(settings.video_vendors_file), settings.kling_base_url,
             str(settings.veo_project), settings.veo_location, str(settings.veo_base_url),
             str(settings.veo_output_gcs_uri), repr(timeouts_from(settings))]
    for secret in (settings.kling_access_key, settings.kling_secret_key, settings.veo_api_key):
        parts.append(secret.get_secret_value() if secret is not None else "")
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()

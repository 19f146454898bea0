"""``ugen doctor``: which provider serves each capability, whether its keys are present and,
on request, whether a cheap authenticated call to each vendor succeeds.

Keys are reported as present or missing, never shown. The network check of a vendor asks
for a task that does not exist: "not found" proves the key was accepted without starting
(or paying for) anything.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from ugen.core.config import Settings
from ugen.providers.base import PermanentProviderError, ProviderError, TransientProviderError
from ugen.providers.vendor import (
    VENDORS,
    MissingCredentialsError,
    Vendor,
    VendorAuthError,
    VendorVideoModel,
    load_vendor_models,
)
from ugen.providers.video_router import (
    REQUIRED_KEYS,
    VideoRouter,
    build_vendor,
    configured_vendors,
)

KeyState = Literal["present", "missing", "not needed"]
_KEYED_VENDORS = ("openai", "gemini", "elevenlabs", "vision_qa")
NetworkState = Literal["ok", "refused", "unreachable", "skipped"]
PROBE_ID = "ugen-doctor-probe-0000"


@dataclass(frozen=True)
class CapabilityReport:
    capability: str
    provider: str
    keys: KeyState
    network: NetworkState = "skipped"
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


def diagnose(settings: Settings, *, check_network: bool = False,
             timeout_s: float = 5.0) -> list[CapabilityReport]:
    """One report per capability; video gets one per vendor plus the offline provider."""
    from ugen.providers.registry import build_providers

    providers = build_providers(settings)
    reports: list[CapabilityReport] = []
    for field in dataclasses.fields(providers):
        if field.name in ("name", "video"):
            continue
        provider = getattr(providers, field.name)
        if provider is None:  # an optional capability nobody serves
            reports.append(CapabilityReport(field.name, "none", "not needed"))
            continue
        # Vendor adapters are only selected when their key is set (ugen.providers.selection).
        vendor = _vendor(provider)
        state: KeyState = "present" if vendor in _KEYED_VENDORS else "not needed"
        reports.append(CapabilityReport(field.name, _name(provider), state,
                                        detail=_describe(provider)))
    video = providers.video
    offline = video.offline if isinstance(video, VideoRouter) else video
    reports.append(CapabilityReport("video (offline)", _name(offline), "not needed",
                                    detail=f"UGEN_VIDEO_PROVIDER={settings.video_provider}"))
    models = load_vendor_models(settings.video_vendors_file)
    present = configured_vendors(settings)
    for vendor in VENDORS:
        ids = ", ".join(sorted(m for m, v in models.items() if v.vendor == vendor))
        selected = (settings.video_provider != "offline"
                    and (vendor in present or settings.video_provider == "vendor"))
        keys: KeyState = "present" if vendor in present else "missing"
        detail = f"{'selected' if selected else 'not selected'} for {ids}"
        if vendor == "veo" and keys == "present":
            detail += f"; {_veo_access(settings)}"
        if keys == "missing":
            detail += f"; needs {REQUIRED_KEYS[vendor]}"
        network: NetworkState = "skipped"
        if check_network and keys == "present":
            network, note = probe_vendor(settings, vendor, timeout_s=timeout_s)
            detail += f"; {note}"
        reports.append(CapabilityReport(f"video ({vendor})", vendor, keys, network, detail))
    return reports


def probe_vendor(settings: Settings, vendor: Vendor, *,
                 timeout_s: float = 5.0) -> tuple[NetworkState, str]:
    """Ask ``vendor`` for a task that does not exist, with a short timeout."""
    short = settings.model_copy(update={"vendor_submit_timeout_s": timeout_s,
                                        "vendor_poll_timeout_s": timeout_s})
    models = load_vendor_models(settings.video_vendors_file)
    try:
        build_vendor(short, vendor, models).poll(_probe_task(vendor, models, settings))
    except VendorAuthError as err:
        return "refused", f"the key was refused: {err}"
    except MissingCredentialsError as err:  # e.g. Veo with no Application Default Credentials
        return "refused", f"no credentials: {err}"
    except TransientProviderError as err:
        return "unreachable", str(err)
    except PermanentProviderError as err:
        return "ok", f"authenticated (the probe task is unknown: {err})"
    except ProviderError as err:
        return "unreachable", str(err)
    return "ok", "authenticated"


def _probe_task(vendor: Vendor, models: dict[str, VendorVideoModel],
                settings: Settings) -> str:
    if vendor == "kling":
        return PROBE_ID
    model = next((m.vendor_model for m in models.values() if m.vendor == "veo"),
                 "veo-3.1-fast-generate-001")
    prefix = (f"projects/{settings.veo_project}/locations/{settings.veo_location}/"
              if settings.veo_project else "")
    return f"{prefix}publishers/google/models/{model}/operations/{PROBE_ID}"


def _name(provider: object) -> str:
    return type(provider).__name__


def _vendor(provider: object) -> str:
    return type(provider).__module__.removeprefix("ugen.providers.").split(".")[0]


def _describe(provider: object) -> str:
    """The vendor and model behind a vendor adapter; a vision judge's models in the order
    they are asked. Empty for the offline providers."""
    models = getattr(provider, "models", None)
    if _vendor(provider) == "vision_qa" and isinstance(models, tuple):
        names = ", then ".join(str(getattr(m, "name", _name(m))) for m in models)
        return f"pixel checks, then vision: {names}"
    if _vendor(provider) not in _KEYED_VENDORS:
        return ""
    model = getattr(provider, "model", None) or getattr(provider, "model_id", None)
    return f"{_vendor(provider)}: {model}" if isinstance(model, str) else _vendor(provider)


def _veo_access(settings: Settings) -> str:
    """How the Veo adapter signs in and where its videos come back (no secret shown)."""
    if settings.veo_api_key is not None:
        access = "Vertex AI express mode (API key)"
    else:
        access = (f"Application Default Credentials for project {settings.veo_project} "
                  f"({settings.veo_location})")
    output = settings.veo_output_gcs_uri or "inline bytes"
    return f"{access}; videos: {output}"


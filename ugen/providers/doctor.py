"""``ugen doctor``: which provider serves each capability and why (the reasons of
:mod:`ugen.providers.choice`; for video, one per model), every vendor with the settings that
enable it and, on request, what each vendor says to our keys.

Keys are reported as present or missing, never shown. With ``check_network``:

- OpenAI, Gemini and ElevenLabs list their models (``GET /v1/models``, ``models.list``): the
  key is accepted when the listing answers, and every configured model id is checked
  against it (not offered, or offered with an announced shutdown);
- Kling and Veo have no documented model listing: they are asked for a task that does not
  exist, and only the documented "not found" counts as "key accepted" (Kling: HTTP 400 code
  1201; Vertex AI: 404). Any other answer is reported as it came, as ``unexpected``.

The report is a list of rows (``--json`` prints them); :func:`render` lays them out as text
blocks that keep whole names at any terminal width.
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from ugen.core.config import Settings
from ugen.providers.base import ProviderError, TransientProviderError
from ugen.providers.choice import KEYS, Choice, Role, configured_vendors, decide, video_plan
from ugen.providers.registry import ProviderSet, build_providers
from ugen.providers.vendor import (
    VENDORS,
    MissingCredentialsError,
    OfferedModel,
    Vendor,
    VendorAuthError,
    VendorConfigError,
    VendorTaskGoneError,
    VendorVideoModel,
    load_vendor_models,
    needs_output_bucket,
)
from ugen.providers.video_router import VideoRouter, build_vendor
from ugen.providers.vision_qa import VisionKeyframeJudge, VisionSegmentJudge

KeyState = Literal["present", "missing", "not needed"]
NetworkState = Literal["ok", "refused", "unreachable", "unexpected", "skipped"]
ModelState = Literal["offered", "shutdown announced", "not offered", "unchecked"]
RowKind = Literal["capability", "vendor"]
CAPABILITY_ROWS: tuple[Role, ...] = ("script_agent", "keyframes", "voice", "music", "aligner",
                                     "keyframe_judge", "segment_judge", "speech_converter")
"""The providers reported one row each, in this order (video has rows of its own)."""
FAILING: frozenset[str] = frozenset({"refused", "unreachable", "unexpected"})
PROBE_ID = "ugen-doctor-probe-0000"


@dataclass(frozen=True)
class ModelCheck:
    """One configured model id and what the vendor's listing says of it."""

    setting: str  # where it is configured (an env var, or a catalog video model)
    model: str
    state: ModelState = "unchecked"
    note: str = ""


@dataclass(frozen=True)
class CapabilityReport:
    """One row: a capability and its provider (``video (<model>)``: the adapter a job on that
    model gets), or a vendor (``vendor (…)``, ``video (kling|veo)``)."""

    capability: str
    provider: str
    keys: KeyState
    network: NetworkState = "skipped"
    detail: str = ""
    kind: RowKind = "capability"
    enable: tuple[str, ...] = ()  # the settings that enable the vendor
    models: tuple[ModelCheck, ...] = ()
    setting: str = ""  # a capability's setting (UGEN_SCRIPT_PROVIDER ...)
    reason: str = ""  # why that provider serves it (ugen.providers.choice)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def failing(self) -> bool:
        """A refused, unreachable or unexpected vendor, a model it does not offer, or a
        capability set to a vendor whose keys are missing."""
        return (self.network in FAILING or any(m.state == "not offered" for m in self.models)
                or (self.kind == "capability" and self.keys == "missing"))


@dataclass(frozen=True)
class VendorSpec:
    """A vendor of the capabilities other than video: its keys, models and what it serves."""

    vendor: str
    title: str
    keys: tuple[str, ...]
    serves: str
    models: tuple[tuple[str, str], ...]  # (env var, Settings attribute)


VENDOR_SPECS: tuple[VendorSpec, ...] = (
    VendorSpec("openai", "OpenAI", ("UGEN_OPENAI_API_KEY",),
               "script_agent and keyframes (first choice), keyframe_judge, segment_judge",
               (("UGEN_OPENAI_SCRIPT_MODEL", "openai_script_model"),
                ("UGEN_OPENAI_IMAGE_MODEL", "openai_image_model"),
                ("UGEN_OPENAI_JUDGE_MODEL", "openai_judge_model"))),
    VendorSpec("gemini", "Gemini", ("UGEN_GEMINI_API_KEY",),
               "script_agent and keyframes (without OpenAI), keyframe_judge, segment_judge",
               (("UGEN_GEMINI_SCRIPT_MODEL", "gemini_script_model"),
                ("UGEN_GEMINI_IMAGE_MODEL", "gemini_image_model"),
                ("UGEN_GEMINI_JUDGE_MODEL", "gemini_judge_model"))),
    VendorSpec("elevenlabs", "ElevenLabs", ("UGEN_ELEVENLABS_API_KEY",),
               "aligner (word timings), speech_converter (the persona's voice)",
               (("UGEN_ELEVENLABS_STS_MODEL", "elevenlabs_sts_model"),)),
)
TITLES: dict[str, str] = {**{s.vendor: s.title for s in VENDOR_SPECS},
                          "kling": "Kling", "veo": "Veo"}
VIDEO_ENABLE: dict[Vendor, tuple[str, ...]] = {
    "kling": ("UGEN_KLING_ACCESS_KEY", "UGEN_KLING_SECRET_KEY"),
    "veo": ("UGEN_VEO_API_KEY", "UGEN_VEO_PROJECT"),
}


def diagnose(settings: Settings, *, check_network: bool = False,
             timeout_s: float = 5.0) -> list[CapabilityReport]:
    """One row per capability with the reason it is served so (video: the offline provider,
    then one row per video model), then one per vendor."""
    providers = build_providers(settings)
    chosen = decide(settings)
    reports: list[CapabilityReport] = []
    serving: dict[str, list[str]] = {}
    for role in CAPABILITY_ROWS:
        found = chosen[role]
        reports.append(_capability(found, getattr(providers, role), providers))
        if not found.offline and not found.missing:
            for vendor in found.adapters:
                serving.setdefault(vendor, []).append(role)
    reports += _video_capabilities(settings, providers, chosen["video"])
    for spec in VENDOR_SPECS:
        reports.append(_keyed_vendor(settings, spec, serving.get(spec.vendor, []),
                                     check_network=check_network, timeout_s=timeout_s))
    for vendor in VENDORS:
        reports.append(_video_vendor(settings, vendor, check_network=check_network,
                                     timeout_s=timeout_s))
    return reports


def _capability(chosen: Choice, provider: object, providers: ProviderSet) -> CapabilityReport:
    row = CapabilityReport(chosen.role, _name(provider), "not needed", setting=chosen.setting,
                           reason=chosen.reason)
    if chosen.missing:
        return dataclasses.replace(row, provider=chosen.adapter, keys="missing",
                                   detail=f"needs {chosen.missing}: every call fails")
    if provider is None:  # no vendor converter: the voice provider converts offline
        return dataclasses.replace(row, provider=_name(providers.voice),
                                   detail="offline: the voice's pitch and formants")
    if chosen.offline:
        return row
    return dataclasses.replace(row, keys="present", detail=_describe(provider, chosen))


def _video_capabilities(settings: Settings, providers: ProviderSet,
                        offline_choice: Choice) -> list[CapabilityReport]:
    """The offline video provider, then the adapter a job on each video model gets."""
    video = providers.video
    router = video if isinstance(video, VideoRouter) else None
    offline = _name(router.offline if router is not None else video)
    rows = [CapabilityReport(
        "video (offline)", offline, "not needed",
        detail="renders the models no vendor renders",
        setting=offline_choice.setting, reason=offline_choice.reason)]
    models = load_vendor_models(settings.video_vendors_file)
    for model_id, chosen in video_plan(settings).items():
        row = CapabilityReport(f"video ({model_id})", offline, "not needed",
                               setting=chosen.setting, reason=chosen.reason)
        adapter = next((a for v, a in router.vendors.items() if v == chosen.adapter),
                       None) if router is not None else None
        if chosen.missing:
            row = dataclasses.replace(row, provider=chosen.adapter, keys="missing",
                                      detail=f"needs {chosen.missing}: its jobs fail")
        elif adapter is not None:
            model = models[model_id]
            row = dataclasses.replace(row, provider=_name(adapter), keys="present",
                                      detail=f"{model.vendor}: {model.vendor_model}")
        rows.append(row)
    return rows


# --- vendors of the other capabilities -------------------------------------------------------

def _keyed_vendor(settings: Settings, spec: VendorSpec, serving: list[str], *,
                  check_network: bool, timeout_s: float) -> CapabilityReport:
    present = getattr(settings, f"{spec.vendor}_api_key") is not None
    if not present:
        detail = f"would serve {spec.serves}"
    elif serving:
        detail = f"serves {', '.join(serving)}"
    else:
        detail = "not used: UGEN_VENDORS=offline" if settings.vendors == "offline" else "not used"
    models = tuple(ModelCheck(env, str(getattr(settings, attr))) for env, attr in spec.models)
    network: NetworkState = "skipped"
    if check_network and present:
        network, note, models = _check_listing(settings, spec.vendor, models, timeout_s)
        detail += f"; {note}"
    return CapabilityReport(f"vendor ({spec.vendor})", spec.vendor,
                            "present" if present else "missing", network, detail,
                            kind="vendor", enable=spec.keys, models=models)


def _listing(vendor: str) -> Callable[[Settings, float], tuple[OfferedModel, ...]]:
    if vendor == "openai":
        from ugen.providers.openai.listing import list_models as openai_models

        return lambda s, t: openai_models(s.openai_api_key, s.openai_base_url, timeout_s=t)
    if vendor == "gemini":
        from ugen.providers.gemini.listing import list_models as gemini_models

        return lambda s, t: gemini_models(s.gemini_api_key, s.gemini_base_url, timeout_s=t)
    from ugen.providers.elevenlabs.listing import list_models as elevenlabs_models

    return lambda s, t: elevenlabs_models(s.elevenlabs_api_key, s.elevenlabs_base_url,
                                          timeout_s=t)


def _check_listing(settings: Settings, vendor: str, models: tuple[ModelCheck, ...],
                   timeout_s: float) -> tuple[NetworkState, str, tuple[ModelCheck, ...]]:
    try:
        offered = _listing(vendor)(settings, timeout_s)
    except ProviderError as err:
        state, note = _classify(err)
        return state, note, models
    by_id = {m.id: m for m in offered}
    checked = tuple(_check_model(check, by_id.get(check.model), vendor) for check in models)
    return "ok", f"key accepted ({len(offered)} models listed)", checked


def _check_model(check: ModelCheck, found: OfferedModel | None, vendor: str) -> ModelCheck:
    if found is None:
        return dataclasses.replace(check, state="not offered",
                                   note=f"{TITLES[vendor]} does not list it for this key")
    if vendor == "elevenlabs" and "voice_conversion" not in found.capabilities:
        return dataclasses.replace(check, state="not offered",
                                   note="listed, but not as a speech-to-speech model")
    if found.shutdown_date:
        return dataclasses.replace(check, state="shutdown announced",
                                   note=f"shuts down on {found.shutdown_date}")
    return dataclasses.replace(check, state="offered")


# --- video vendors ------------------------------------------------------------------------

def _video_vendor(settings: Settings, vendor: Vendor, *, check_network: bool,
                  timeout_s: float) -> CapabilityReport:
    models = load_vendor_models(settings.video_vendors_file)
    mine = {k: m for k, m in sorted(models.items()) if m.vendor == vendor}
    present = vendor in configured_vendors(settings)
    plan = video_plan(settings)
    selected = [k for k in mine if plan[k].adapter == vendor]
    others = [k for k in mine if k not in selected]
    detail = "; ".join([f"selected for {', '.join(selected)}"] * bool(selected)
                       + [f"not selected for {', '.join(others)}"] * bool(others))
    if vendor == "veo" and present:
        detail += f"; {_veo_access(settings)}"
    bucketless = [k for k, m in mine.items() if needs_output_bucket(m)]
    if bucketless and not settings.veo_output_gcs_uri:
        detail += (f"; {', '.join(bucketless)} also needs UGEN_VEO_OUTPUT_GCS_URI (Vertex AI "
                   f"returns 4K videos only through Cloud Storage)")
    network: NetworkState = "skipped"
    if check_network and present:
        network, note = probe_vendor(settings, vendor, timeout_s=timeout_s)
        detail += f"; {note}"
    checks = tuple(ModelCheck(f"{k} ({m.mode or m.resolution or 'default'})", m.vendor_model)
                   for k, m in mine.items())
    return CapabilityReport(f"video ({vendor})", vendor, "present" if present else "missing",
                            network, detail, kind="vendor", enable=VIDEO_ENABLE[vendor],
                            models=checks)


def probe_vendor(settings: Settings, vendor: Vendor, *,
                 timeout_s: float = 5.0) -> tuple[NetworkState, str]:
    """Ask ``vendor`` for a task that does not exist, with a short timeout: only the
    documented "not found" is a pass."""
    short = settings.model_copy(update={"vendor_submit_timeout_s": timeout_s,
                                        "vendor_poll_timeout_s": timeout_s})
    models = load_vendor_models(settings.video_vendors_file)
    try:
        build_vendor(short, vendor, models).poll(_probe_task(vendor, models, settings))
    except VendorTaskGoneError:
        return "ok", "key accepted (the probe task is unknown, as documented)"
    except ProviderError as err:
        return _classify(err)
    return "unexpected", "the vendor answered for a task that should not exist"


def _classify(err: ProviderError) -> tuple[NetworkState, str]:
    if isinstance(err, VendorAuthError):
        return "refused", f"the key was refused: {err}"
    if isinstance(err, VendorConfigError):
        return "refused", f"the vendor refuses this account or machine: {err}"
    if isinstance(err, MissingCredentialsError):  # e.g. Veo with no Application Default Credentials
        return "refused", f"no credentials: {err}"
    if isinstance(err, TransientProviderError):
        return "unreachable", str(err)
    return "unexpected", f"unexpected answer: {err}"


def _probe_task(vendor: Vendor, models: dict[str, VendorVideoModel],
                settings: Settings) -> str:
    if vendor == "kling":
        return PROBE_ID
    model = next((m.vendor_model for m in models.values() if m.vendor == "veo"),
                 "veo-3.1-fast-generate-001")
    prefix = (f"projects/{settings.veo_project}/locations/{settings.veo_location}/"
              if settings.veo_project else "")
    return f"{prefix}publishers/google/models/{model}/operations/{PROBE_ID}"


def _veo_access(settings: Settings) -> str:
    """How the Veo adapter signs in and where its videos come back (no secret shown)."""
    if settings.veo_api_key is not None:
        access = "Vertex AI express mode (API key)"
    else:
        access = (f"Application Default Credentials for project {settings.veo_project} "
                  f"({settings.veo_location})")
    output = settings.veo_output_gcs_uri or "inline bytes"
    return f"{access}; videos: {output}"


# --- providers ----------------------------------------------------------------------------

def _name(provider: object) -> str:
    return type(provider).__name__


def _describe(provider: object, chosen: Choice) -> str:
    """The vendor and model behind a vendor adapter; a vision judge's models in the order
    they are asked."""
    if isinstance(provider, VisionKeyframeJudge | VisionSegmentJudge):
        names = ", then ".join(str(getattr(m, "name", _name(m))) for m in provider.models)
        return f"pixel checks, then vision: {names}"
    model = getattr(provider, "model", None) or getattr(provider, "model_id", None)
    return f"{chosen.adapter}: {model}" if isinstance(model, str) else chosen.adapter


# --- text ---------------------------------------------------------------------------------

LABEL = 20  # column of the values: "speech_converter" and "ElevenLabs" fit with room


def render(reports: Iterable[CapabilityReport], width: int) -> list[str]:
    """The report as text lines of at most ``width`` columns where words allow; names and
    setting names are never cut or hyphenated (a name longer than a line has a line)."""
    rows = list(reports)
    capabilities = [r for r in rows if r.kind == "capability"]
    per_model = [r.reason for r in capabilities if _is_video_model(r)]
    lines = ["Capabilities"]
    for row in capabilities:
        if _is_video_model(row):
            continue  # under video, one line per model: "<model> → <adapter>: why"
        notes = [row.detail, row.reason]
        if row.capability == "video (offline)":
            notes += per_model
        lines += _block(row.capability.removesuffix(" (offline)"), row.provider, notes, width)
    lines += ["", "Vendors"]
    for row in (r for r in rows if r.kind == "vendor"):
        status = f"keys {row.keys}"
        if row.network != "skipped":
            status += f", network {row.network}"
        enable = next((keys for vendor, keys in KEYS.items() if vendor == row.provider),
                      " and ".join(row.enable))
        notes = [f"{'enabled by' if row.keys == 'present' else 'enable with'} {enable}",
                 *row.detail.split("; ")]
        notes += [_model_line(m) for m in row.models]
        lines += _block(TITLES.get(row.provider, row.provider), status, notes, width)
    return lines


def _is_video_model(row: CapabilityReport) -> bool:
    return (row.kind == "capability" and row.capability.startswith("video (")
            and row.capability != "video (offline)")


def _model_line(check: ModelCheck) -> str:
    text = f"{check.setting} = {check.model}"
    if check.state != "unchecked":
        text += f": {check.state}"
    return f"{text} ({check.note})" if check.note else text


def _block(label: str, head: str, notes: list[str], width: int) -> list[str]:
    indent = " " * LABEL
    first = f"  {label}".ljust(LABEL - 1) + " "
    out = _wrap(head, width, first, indent)
    for note in notes:
        if note:
            out += _wrap(note, width, indent, indent + "  ")
    return out


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(text, width=max(width, LABEL + 20), initial_indent=first,
                         subsequent_indent=rest, break_long_words=False,
                         break_on_hyphens=False) or [first.rstrip()]

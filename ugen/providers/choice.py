"""Which adapter serves each capability, and why: the one place providers are chosen.

Each capability has one setting, ``auto`` by default or the name of an adapter::

    capability   setting                    adapters
    script       UGEN_SCRIPT_PROVIDER       local, openai, gemini
    keyframes    UGEN_KEYFRAME_PROVIDER     local, simulated, openai, gemini
    video        UGEN_VIDEO_PROVIDER        local, simulated, kling, veo (offline, vendor)
    voice        UGEN_VOICE_PROVIDER        local, elevenlabs (speech-to-speech)
    alignment    UGEN_ALIGNMENT_PROVIDER    local, elevenlabs
    music        UGEN_MUSIC_PROVIDER        local
    QA judges    UGEN_QA_JUDGE              local (pixel checks), openai, gemini

``auto`` takes a vendor whose key is set, else the offline adapter: the script agent and
keyframes OpenAI, then Gemini; the voice and word timings ElevenLabs; the QA judges the
pixel checks joined by every vision model with a key (keyframes OpenAI then Gemini,
segments Gemini then OpenAI); video per job, the model's vendor when its keys are
configured. A vendor named without its keys stays chosen, with what is missing in
:attr:`Choice.missing`: its calls fail naming the key (a QA judge's failing vision model
leaves the pixel checks to decide), and ``ugen doctor`` reports it, so a misconfiguration
never falls back quietly.

The switches from before stay as aliases that shape ``auto``: ``UGEN_VENDORS=offline`` keeps
every ``auto`` but video's on this machine; ``UGEN_PROVIDERS=simulated`` makes the offline
keyframes and video the simulated ones; ``UGEN_VIDEO_PROVIDER=offline`` (never a vendor) and
``vendor`` (always the model's vendor) keep their meaning.

Every decision is a :class:`Choice` with the reason in words; nothing is built here (that is
:mod:`ugen.providers.registry`) and nothing is called.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from ugen.core.config import Settings
from ugen.providers.vendor import VENDORS, Vendor, VendorVideoModel, load_vendor_models

Role = Literal["script_agent", "keyframes", "video", "voice", "speech_converter", "aligner",
               "music", "keyframe_judge", "segment_judge"]
"""A provider of :class:`~ugen.providers.registry.ProviderSet` (one of its fields)."""
ROLES: tuple[Role, ...] = get_args(Role)

Adapter = Literal["local", "simulated", "openai", "gemini", "elevenlabs", "kling", "veo"]
KeyedVendor = Literal["openai", "gemini", "elevenlabs"]
KEYED_VENDORS: tuple[KeyedVendor, ...] = get_args(KeyedVendor)
OFFLINE: frozenset[Adapter] = frozenset({"local", "simulated"})

SETTING: dict[Role, str] = {
    "script_agent": "UGEN_SCRIPT_PROVIDER",
    "keyframes": "UGEN_KEYFRAME_PROVIDER",
    "video": "UGEN_VIDEO_PROVIDER",
    "voice": "UGEN_VOICE_PROVIDER",
    "speech_converter": "UGEN_VOICE_PROVIDER",
    "aligner": "UGEN_ALIGNMENT_PROVIDER",
    "music": "UGEN_MUSIC_PROVIDER",
    "keyframe_judge": "UGEN_QA_JUDGE",
    "segment_judge": "UGEN_QA_JUDGE",
}
"""The setting that chooses each provider."""

KEYS: dict[Adapter, str] = {
    "openai": "UGEN_OPENAI_API_KEY",
    "gemini": "UGEN_GEMINI_API_KEY",
    "elevenlabs": "UGEN_ELEVENLABS_API_KEY",
    "kling": "UGEN_KLING_ACCESS_KEY and UGEN_KLING_SECRET_KEY",
    "veo": "UGEN_VEO_API_KEY or UGEN_VEO_PROJECT (with Google credentials)",
}
"""What configures each vendor (nothing is called to check the keys)."""

TITLES: dict[Adapter, str] = {"local": "local", "simulated": "simulated", "openai": "OpenAI",
                              "gemini": "Gemini", "elevenlabs": "ElevenLabs", "kling": "Kling",
                              "veo": "Veo"}

# The vendors ``auto`` considers for each provider, in order of preference.
_AUTO: dict[Role, tuple[KeyedVendor, ...]] = {
    "script_agent": ("openai", "gemini"),
    "keyframes": ("openai", "gemini"),
    "speech_converter": ("elevenlabs",),
    "aligner": ("elevenlabs",),
    "keyframe_judge": ("openai", "gemini"),
    "segment_judge": ("gemini", "openai"),
}
_JUDGES: frozenset[Role] = frozenset({"keyframe_judge", "segment_judge"})


@dataclass(frozen=True)
class Choice:
    """The adapter that serves one provider, and why."""

    role: Role
    adapter: Adapter
    reason: str
    """Why, in words: the deciding setting and what it saw (never a secret)."""
    then: tuple[Adapter, ...] = ()
    """Adapters asked after ``adapter`` fails, in order (the QA judges' vision models)."""
    missing: str = ""
    """The keys a vendor named by its setting needs and lacks ("" when none are missing)."""

    @property
    def setting(self) -> str:
        return SETTING[self.role]

    @property
    def adapters(self) -> tuple[Adapter, ...]:
        return (self.adapter, *self.then)

    @property
    def offline(self) -> bool:
        return self.adapter in OFFLINE


def has_keys(settings: Settings, vendor: Adapter) -> bool:
    """Whether ``vendor``'s keys are present (offline adapters need none)."""
    if vendor == "openai":
        return settings.openai_api_key is not None
    if vendor == "gemini":
        return settings.gemini_api_key is not None
    if vendor == "elevenlabs":
        return settings.elevenlabs_api_key is not None
    if vendor == "kling":
        return bool(settings.kling_access_key and settings.kling_secret_key)
    if vendor == "veo":
        return bool(settings.veo_api_key or settings.veo_project)
    return True


def configured_vendors(settings: Settings) -> tuple[Vendor, ...]:
    """The video vendors whose keys are present."""
    return tuple(v for v in VENDORS if has_keys(settings, v))


def offline_set(settings: Settings) -> Adapter:
    """The offline adapter of keyframes and video that ``auto`` falls back to
    (``UGEN_PROVIDERS``)."""
    if settings.providers in ("local", "simulated"):
        return "simulated" if settings.providers == "simulated" else "local"
    raise ValueError(f"unknown UGEN_PROVIDERS {settings.providers!r} (local, simulated)")


def decide(settings: Settings) -> dict[Role, Choice]:
    """Every provider's choice (for video, the offline adapter: see :func:`choose_video`)."""
    offline_set(settings)  # an unknown UGEN_PROVIDERS fails whatever is chosen
    return {role: choose(settings, role) for role in ROLES}


def choose(settings: Settings, role: Role) -> Choice:
    """The adapter of ``role`` (for video, the offline adapter every job may fall back to)."""
    if role == "video":
        return offline_video(settings)
    value = _value(settings, role)
    setting = f"{SETTING[role]}={value}"
    if role == "voice":
        return Choice(role, "local", "the only speech synthesizer (espeak-ng, for the lines "
                                     "no segment speaks); UGEN_VOICE_PROVIDER chooses the "
                                     "voice it is converted to")
    if role == "speech_converter" and value == "local":
        return Choice(role, "local", f"{setting}: the voice provider converts offline")
    if value != "auto":
        return _named(settings, role, value, setting)
    offline: Adapter = offline_set(settings) if role == "keyframes" else "local"
    suffix = "; UGEN_PROVIDERS=simulated" if offline == "simulated" else ""
    vendors = _AUTO.get(role, ())
    if not vendors:
        return Choice(role, "local", f"{setting}: the only adapter")
    if settings.vendors == "offline":
        return Choice(role, offline, f"{setting}: UGEN_VENDORS=offline{suffix}")
    keyed = [v for v in vendors if has_keys(settings, v)]
    if not keyed:
        return Choice(role, offline, f"{setting}: {_nor(vendors)} set{suffix}")
    if role in _JUDGES:
        return Choice(role, keyed[0], f"{setting}: {_and(keyed)} set", then=tuple(keyed[1:]))
    unset = vendors[:vendors.index(keyed[0])]
    why = f"{KEYS[keyed[0]]} set" + (f", {_nor(unset)}" if unset else "")
    return Choice(role, keyed[0], f"{setting}: {why}")


def offline_video(settings: Settings) -> Choice:
    """The offline video adapter: named by ``UGEN_VIDEO_PROVIDER``, else ``UGEN_PROVIDERS``."""
    value = settings.video_provider
    if value == "local" or value == "simulated":
        return Choice("video", value, f"UGEN_VIDEO_PROVIDER={value}")
    return Choice("video", offline_set(settings), f"UGEN_VIDEO_PROVIDER={value}: the offline "
                                                  f"set is UGEN_PROVIDERS={settings.providers}")


def choose_video(settings: Settings, model_id: str,
                 models: Mapping[str, VendorVideoModel] | None = None) -> Choice:
    """The adapter that renders a job's segments on ``model_id``, and why."""
    value = settings.video_provider
    offline = offline_video(settings)
    model = (models if models is not None else load_vendor_models(settings.video_vendors_file)
             ).get(model_id)

    def stays_offline(why: str) -> Choice:
        return Choice("video", offline.adapter, f"{model_id} → offline ({offline.adapter}): {why}")

    if model is None:
        return stays_offline("no vendor model in the video vendors file")
    vendor, title = model.vendor, TITLES[model.vendor]
    if value in ("offline", "local", "simulated") or (value in VENDORS and value != vendor):
        return stays_offline(f"UGEN_VIDEO_PROVIDER={value}")
    keyed = has_keys(settings, vendor)
    if value == "auto":
        if keyed:
            return Choice("video", vendor, f"{model_id} → {title}: keys configured")
        return stays_offline(f"{title} keys not configured")
    reason = f"{model_id} → {title}: UGEN_VIDEO_PROVIDER={value}"
    if keyed:
        return Choice("video", vendor, reason)
    return Choice("video", vendor, f"{reason}, but {KEYS[vendor]} not configured",
                  missing=KEYS[vendor])


def video_plan(settings: Settings) -> dict[str, Choice]:
    """:func:`choose_video` for every model of the video vendors file."""
    models = load_vendor_models(settings.video_vendors_file)
    return {model_id: choose_video(settings, model_id, models) for model_id in sorted(models)}


def _value(settings: Settings, role: Role) -> str:
    values: dict[Role, str] = {
        "script_agent": settings.script_provider,
        "keyframes": settings.keyframe_provider,
        "video": settings.video_provider,
        "voice": settings.voice_provider,
        "speech_converter": settings.voice_provider,
        "aligner": settings.alignment_provider,
        "music": settings.music_provider,
        "keyframe_judge": settings.qa_judge,
        "segment_judge": settings.qa_judge,
    }
    return values[role]


def _named(settings: Settings, role: Role, value: str, setting: str) -> Choice:
    adapter = next(a for a in get_args(Adapter) if a == value)  # settings validated the name
    if has_keys(settings, adapter):
        return Choice(role, adapter, setting)
    return Choice(role, adapter, f"{setting}, but {KEYS[adapter]} is not set",
                  missing=KEYS[adapter])


def _and(vendors: list[KeyedVendor]) -> str:
    return " and ".join(KEYS[v] for v in vendors)


def _nor(vendors: tuple[KeyedVendor, ...]) -> str:
    names = [KEYS[v] for v in vendors]
    return f"no {names[0]}" if len(names) == 1 else f"neither {' nor '.join(names)}"

"""One interface per AI capability, and the value objects that cross them.

Capabilities: script agent, keyframe image, video segment (submit + poll), voice, word
alignment, music. Implementations live side by side (``local``, ``simulated``, vendor
adapters); vendor SDK types never leave their adapter module.

Errors (all subclasses of :class:`ProviderError`)::

    ProviderError
    ├── TransientProviderError   retry with backoff (rate limit, 5xx, timeout)
    └── PermanentProviderError   fail the stage with the vendor's reason
        ├── ContentPolicyError   the prompt or image was refused
        └── TaskGoneError        the vendor no longer knows a submitted task: submit again
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from ugen.catalog import Persona, Voice

ScriptPhase = Literal["hook", "problem", "demo", "benefit", "cta"]


class ProviderError(Exception):
    """A provider could not do what was asked."""

    def __init__(self, message: str, *, provider: str = "", request_id: str | None = None,
                 retry_after: float | None = None):
        super().__init__(message)
        self.provider = provider
        self.request_id = request_id
        self.retry_after = retry_after


class TransientProviderError(ProviderError):
    """Worth retrying: rate limits, server errors, timeouts."""


class PermanentProviderError(ProviderError):
    """Retrying the same request will not help."""


class ContentPolicyError(PermanentProviderError):
    """The vendor refused the content."""


class TaskGoneError(PermanentProviderError):
    """The vendor does not know a task we submitted (expired or lost): submit it again."""


# --- script agent -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptRequest:
    product_name: str
    product_image: Path
    persona: Persona
    segment_count: int
    segment_duration: float
    language: str
    interaction_mode: str
    script_structure: str
    script_tone: str
    key_selling_points: tuple[str, ...] = ()
    cta_text: str | None = None
    environment_description: str | None = None
    custom_script: str | None = None
    seed: int = 0


@dataclass(frozen=True)
class ScriptLine:
    """What the persona says during one segment."""

    segment_index: int
    phase: ScriptPhase
    text: str
    target_duration_s: float


@dataclass(frozen=True)
class KeyframeShot:
    """The plan of one keyframe: N+1 of them for N segments; index 0 is the anchor."""

    index: int
    shot_type: str  # e.g. "medium close-up", "product close-up", "wide"
    camera_angle: str  # e.g. "eye level", "slightly high", "low angle"
    expression: str  # e.g. "curious", "delighted", "confident"
    product_interaction: str  # e.g. "holding product up", "pointing at label"
    prompt: str  # the full image prompt a vendor model would get


@dataclass(frozen=True)
class Script:
    lines: tuple[ScriptLine, ...]
    keyframes: tuple[KeyframeShot, ...]
    language: str
    segment_prompts: tuple[str, ...]  # one motion prompt per segment


class ScriptAgent(Protocol):
    def write_script(self, request: ScriptRequest) -> Script: ...


# --- keyframes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyframeRequest:
    shot: KeyframeShot
    product_image: Path
    anchor: Path | None  # None when generating the anchor itself
    persona: Persona
    width: int
    height: int
    interaction_mode: str
    environment_description: str | None
    seed: int
    out_path: Path  # PNG to write


class KeyframeProvider(Protocol):
    def generate_keyframe(self, request: KeyframeRequest) -> Path: ...


# --- video segments -----------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentRequest:
    index: int
    first_frame: Path
    last_frame: Path
    prompt: str
    spoken_line: str
    language: str
    voice: Voice
    duration_s: float
    width: int
    height: int
    fps: int
    model_id: str
    sound: bool
    seed: int
    out_path: Path  # MP4 to write
    submission: int = 0
    """How many times this attempt was submitted before and lost by the vendor."""


@dataclass(frozen=True)
class VideoPoll:
    state: Literal["pending", "succeeded", "failed"]
    output: Path | None = None
    error: str | None = None


class VideoProvider(Protocol):
    """Long-running generation, split so a crash while waiting resumes polling the same task."""

    def submit(self, request: SegmentRequest) -> str:
        """Start generating; return the vendor task id. Must be safe to call once per segment."""
        ...

    def poll(self, task_id: str) -> VideoPoll:
        """Ask how the task is doing; when it succeeded, the MP4 is at ``output``."""
        ...


# --- voice, alignment, music --------------------------------------------------------------


@dataclass(frozen=True)
class WordTiming:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class SpeechResult:
    path: Path  # WAV, mono
    duration_s: float
    words: tuple[WordTiming, ...] = field(default_factory=tuple)


class VoiceProvider(Protocol):
    def synthesize(
        self, text: str, *, language: str, voice: Voice, out_path: Path, seed: int = 0
    ) -> SpeechResult:
        """Speak ``text`` in ``voice``; word timings are known when the provider can tell."""
        ...

    def convert(self, source: Path, *, voice: Voice, out_path: Path) -> Path:
        """Speech-to-speech: make ``source`` sound like ``voice``, keeping its timing."""
        ...


@runtime_checkable
class SpeechConverter(Protocol):
    """Speech-to-speech alone (a vendor voice changer); every :class:`VoiceProvider` is one."""

    def convert(self, source: Path, *, voice: Voice, out_path: Path) -> Path:
        """Make the speech in ``source`` sound like ``voice``, keeping its timing."""
        ...


@dataclass(frozen=True)
class Alignment:
    """Word timings found in a recording, and the method that found them.

    ``method`` names what produced the timings (``"pocketsphinx"``, ``"speech-activity"``,
    a vendor's name), so a job can record how its captions were timed.
    """

    words: tuple[WordTiming, ...]
    method: str


@runtime_checkable
class WordAligner(Protocol):
    """Forced alignment: when each word of a known script is spoken in a recording."""

    def align(
        self, audio: Path, lines: Sequence[Sequence[str]], *, language: str
    ) -> Alignment:
        """Time the words of ``lines`` in ``audio`` (any format ffmpeg reads).

        Args:
            lines: the script's words, grouped by spoken line (the caption word units, so
                the timings match the caption words one to one); a line is spoken as one
                phrase, and lines may be separated by silence.
            language: the script's language code (``en``, ``de``, ``zh``, ...).

        Returns:
            One :class:`WordTiming` per input word, in order, with the word's text unchanged;
            starts never decrease, a word ends no later than the next starts, and all times lie
            inside the recording. No words in, no timings out.

        Raises:
            PermanentProviderError: the audio cannot be read or holds no speech.
        """
        ...


class MusicProvider(Protocol):
    def generate(self, *, mood: str, duration_s: float, out_path: Path, seed: int = 0) -> Path:
        """Write an instrumental bed (WAV, stereo 48 kHz) of at least ``duration_s``."""
        ...


# --- billable units ----------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """What one vendor call bills: ``units`` of ``unit`` (second, character, image, token)."""

    units: float
    unit: str
    provider: str
    model: str


class UsageLedger:
    """The billable units of a vendor adapter's calls, keyed by the file each call wrote or read.

    A stage that knows the path it asked for takes the units with :meth:`take` and records
    them (``ctx.record_call(capability, item, units=usage.units, unit=usage.unit)``). Safe to
    share between threads; the adapters of one process are shared by all its jobs.
    """

    def __init__(self, *, max_keys: int = 4096) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, list[Usage]] = {}
        self._max_keys = max_keys  # a caller that never takes must not grow it forever

    def add(self, key: Path | str, usage: Usage) -> None:
        with self._lock:
            self._entries.setdefault(str(key), []).append(usage)
            while len(self._entries) > self._max_keys:
                del self._entries[next(iter(self._entries))]

    def take(self, key: Path | str) -> tuple[Usage, ...]:
        """The usages recorded under ``key`` since the last take, oldest first."""
        with self._lock:
            return tuple(self._entries.pop(str(key), ()))

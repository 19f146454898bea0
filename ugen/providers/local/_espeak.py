"""A ctypes binding to libespeak-ng, run in a fresh worker process per synthesis.

Why ctypes and not the ``espeak-ng`` command: the library reports, while it synthesises, a
``WORD`` event for every word with the word's character offset in the input and the sample at
which its sound starts. That gives exact word timings with the natural prosody of a whole
sentence, which the command line cannot give.

Why a fresh process each time: libespeak-ng is a process-wide singleton whose wave generator
keeps state from one utterance to the next (the pitch-flutter index, the waveform phase, libc's
``rand()`` for breath noise), and no API call resets it. Synthesising the same text twice in one
process gives audio a few samples apart, so files would not be byte-identical. A new process
starts from the same state every time (as the ``espeak-ng`` command does), costs ~30 ms, lets
threads synthesise in parallel without sharing the library, and keeps a crash in the C library
out of the caller.

This file runs as that worker script (``python -I _espeak.py ...``), so it imports only the
standard library at module level.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path

# speak_lib.h: espeak_AUDIO_OUTPUT.AUDIO_OUTPUT_SYNCHRONOUS (events and audio arrive in the
# callback, and espeak_Synth returns only when the whole text has been spoken).
_AUDIO_OUTPUT_SYNCHRONOUS = 2
# espeakINITIALIZE_DONT_EXIT: on a missing data directory return an error, do not exit().
_INITIALIZE_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_EE_OK = 0

# espeak_EVENT_TYPE
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_MSG_TERMINATED = 6

# espeak_PARAMETER
_RATE = 1
_VOLUME = 2
_PITCH = 3
_RANGE = 4
_PUNCTUATION = 5
_CAPITALS = 6
_WORDGAP = 7

_LIBRARY_NAMES = ("espeak-ng", "libespeak-ng.so.1", "/usr/lib/x86_64-linux-gnu/libespeak-ng.so.1")


class EspeakUnavailable(RuntimeError):
    """libespeak-ng could not be loaded or initialised."""


class EspeakVoiceError(ValueError):
    """espeak-ng has no voice by that name."""


class _EventId(ctypes.Union):
    _fields_ = [
        ("number", ctypes.c_int),
        ("name", ctypes.c_char_p),
        ("string", ctypes.c_char * 8),
    ]


class _Event(ctypes.Structure):
    # Layout of espeak_EVENT in speak_lib.h (stable since espeak 1.4x).
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(frozen=True)
class WordEvent:
    """One espeak WORD event: where in the text (0-based characters) and when (seconds)."""

    char_index: int
    char_length: int
    time_s: float


@dataclass(frozen=True)
class Synthesis:
    pcm: bytes  # signed 16-bit little-endian mono
    sample_rate: int
    words: tuple[WordEvent, ...]


# --- the worker (runs in its own process) --------------------------------------------------

_EXIT_NO_VOICE = 3
_EXIT_UNAVAILABLE = 4


def _load_library() -> ctypes.CDLL:
    errors = []
    for name in _LIBRARY_NAMES:
        path = ctypes.util.find_library(name) if "/" not in name and ".so" not in name else name
        if not path:
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as err:
            errors.append(f"{path}: {err}")
    detail = f" ({'; '.join(errors)})" if errors else ""
    raise EspeakUnavailable(f"libespeak-ng not found{detail}")


def _synth_here(text: str, voice_name: str, rate_wpm: int) -> Synthesis:
    lib = _load_library()
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_SetSynthCallback.argtypes = [_Callback]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.restype = ctypes.c_int
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
        ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
    ]
    lib.espeak_Synchronize.restype = ctypes.c_int

    rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, _INITIALIZE_DONT_EXIT)
    if rate <= 0:
        raise EspeakUnavailable(f"espeak_Initialize failed ({rate}); is espeak-ng-data installed?")
    chunks: list[bytes] = []
    events: list[tuple[int, int, int, int]] = []

    def on_synth(
        wav: ctypes._Pointer[ctypes.c_short], count: int, evs: ctypes._Pointer[_Event]
    ) -> int:
        if count > 0 and wav:
            chunks.append(ctypes.string_at(wav, count * 2))
        i = 0
        while evs:
            ev = evs[i]
            if ev.type in (_EVENT_LIST_TERMINATED, _EVENT_MSG_TERMINATED):
                break
            if ev.type == _EVENT_WORD:
                events.append((ev.text_position, ev.length, ev.audio_position, ev.sample))
            i += 1
        return 0  # 0 = go on synthesising

    callback = _Callback(on_synth)  # kept alive until synthesis ends: C holds only the pointer
    lib.espeak_SetSynthCallback(callback)
    if lib.espeak_SetVoiceByName(voice_name.encode("utf-8")) != _EE_OK:
        raise EspeakVoiceError(f"espeak-ng has no voice {voice_name!r}")
    for param, value in (
        (_RATE, max(80, min(450, int(rate_wpm)))),
        (_VOLUME, 100),
        (_PITCH, 50),
        (_RANGE, 50),
        (_PUNCTUATION, 0),
        (_CAPITALS, 0),
        (_WORDGAP, 0),
    ):
        lib.espeak_SetParameter(param, value, 0)
    data = text.encode("utf-8") + b"\0"
    buf = ctypes.create_string_buffer(data, len(data))
    err = lib.espeak_Synth(
        ctypes.cast(buf, ctypes.c_void_p), len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8,
        None, None,
    )
    lib.espeak_Synchronize()
    if err != _EE_OK:
        raise EspeakUnavailable(f"espeak_Synth failed with error {err}")
    words = []
    for text_position, length, audio_ms, sample in events:
        # ``sample`` is the exact sample where the word starts; ``audio_position`` the same in
        # whole milliseconds. Prefer the sample when the two agree.
        t = sample / rate
        if abs(t - audio_ms / 1000.0) > 0.003:
            t = audio_ms / 1000.0
        # text_position counts characters (not bytes) from 1.
        words.append(WordEvent(max(0, text_position - 1), max(0, length), t))
    return Synthesis(b"".join(chunks), int(rate), tuple(words))


def _main(argv: list[str]) -> int:
    """Worker entry: ``TEXT_FILE VOICE RATE PCM_OUT``; word events as JSON on stdout."""
    text_file, voice_name, rate, pcm_out = argv
    try:
        result = _synth_here(Path(text_file).read_text("utf-8"), voice_name, int(rate))
    except EspeakVoiceError as err:
        print(err, file=sys.stderr)
        return _EXIT_NO_VOICE
    except EspeakUnavailable as err:
        print(err, file=sys.stderr)
        return _EXIT_UNAVAILABLE
    Path(pcm_out).write_bytes(result.pcm)
    json.dump(
        {
            "sample_rate": result.sample_rate,
            "words": [[w.char_index, w.char_length, w.time_s] for w in result.words],
        },
        sys.stdout,
    )
    return 0


# --- the client -------------------------------------------------------------------------------


def synthesize(text: str, voice_name: str, rate_wpm: int, *, workdir: Path) -> Synthesis:
    """Speak ``text`` with the espeak voice ``voice_name`` (e.g. ``en-us+f3``) in a worker.

    ``workdir`` is an existing private folder for the exchange files.

    Raises:
        EspeakUnavailable: the library is missing or failed.
        EspeakVoiceError: no such voice.
    """
    from ugen.media.errors import FFmpegError
    from ugen.media.runner import run_capture

    text_file, pcm_file = workdir / "espeak-text.txt", workdir / "espeak.pcm"
    text_file.write_text(text, "utf-8", errors="replace")  # one char per char
    # -I: isolated interpreter (no user site, no PYTHON* variables); the worker needs only the
    # standard library.
    argv = [sys.executable, "-I", str(Path(__file__).resolve()), str(text_file), voice_name,
            str(int(rate_wpm)), str(pcm_file)]
    try:
        out, _ = run_capture(argv, timeout=120)
    except FFmpegError as err:
        message = err.stderr_tail.strip() or str(err)
        if err.returncode == _EXIT_NO_VOICE:
            raise EspeakVoiceError(message) from err
        raise EspeakUnavailable(message) from err
    meta = json.loads(out)
    words = tuple(WordEvent(int(p), int(n), float(t)) for p, n, t in meta["words"])
    return Synthesis(pcm_file.read_bytes(), int(meta["sample_rate"]), words)


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

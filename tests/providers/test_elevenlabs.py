"""ElevenLabs adapters against the fake ElevenLabs API on loopback, with real audio."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.providers.fakes.elevenlabs import FakeElevenLabs
from tests.providers.fakes.server import LoopbackServer
from tests.utils.speech import spoken_track
from ugen.catalog import voices
from ugen.core.config import Settings
from ugen.media.probe import probe
from ugen.providers.base import (
    PermanentProviderError,
    SpeechConverter,
    TransientProviderError,
    Usage,
    UsageLedger,
    WordAligner,
)
from ugen.providers.elevenlabs import ElevenLabsAligner, ElevenLabsSpeechConverter, load_voice_ids
from ugen.providers.elevenlabs.alignment import VendorWord, map_words
from ugen.providers.elevenlabs.speech import decode_args
from ugen.providers.retry import call_with_retries
from ugen.providers.vendor import MissingCredentialsError, VendorAuthError, VendorQuotaError

KEY = "sk_fake_elevenlabs_0123456789abcdef"


@dataclass
class Rig:
    fake: FakeElevenLabs
    url: str
    tmp: Path

    def converter(self, key: str = KEY) -> ElevenLabsSpeechConverter:
        return ElevenLabsSpeechConverter(api_key=SecretStr(key), voice_ids=load_voice_ids(),
                                         base_url=self.url, timeout_s=30)

    def aligner(self, key: str = KEY) -> ElevenLabsAligner:
        return ElevenLabsAligner(api_key=SecretStr(key), base_url=self.url, timeout_s=30)


@pytest.fixture
def eleven(tmp_path: Path) -> Iterator[Rig]:
    fake = FakeElevenLabs(api_key=KEY)
    with LoopbackServer(fake.app) as server:
        yield Rig(fake, server.url, tmp_path)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("speech") / "voice.wav"
    spoken_track(["Okay, I need to talk about this bottle.", "It keeps water cold all day."],
                 "en", out, segment_s=3.0)
    return out


def test_convert_speech_elevenlabs_keeps_duration_and_sends_documented_fields(
        eleven: Rig, speech: Path) -> None:
    converter = eleven.converter()
    assert isinstance(converter, SpeechConverter)
    out = converter.convert(speech, voice=voices()["aria"], out_path=eleven.tmp / "o.wav")

    info, source = probe(out), probe(speech)
    assert info.audio is not None
    assert info.audio.sample_rate == 48000 and info.audio.channels == 1
    assert info.duration == pytest.approx(source.duration, abs=0.03)
    assert out.read_bytes() != speech.read_bytes()
    (sent,) = eleven.fake.requests
    assert sent["voice_id"] == "9BWtsMINqrJLrRacOk9x"
    assert sent["fields"]["model_id"] == "eleven_multilingual_sts_v2"
    assert sent["fields"]["remove_background_noise"] == "true"
    assert sent["output_format"] == "mp3_44100_128"
    (usage,) = converter.usage.take(out)
    assert usage.unit == "second"
    assert usage.units == pytest.approx(source.duration, abs=0.05)


def test_align_words_elevenlabs_monotonic_inside_audio(eleven: Rig, speech: Path) -> None:
    lines = [["Okay,", "I", "need", "to", "talk", "about", "this", "bottle."],
             ["It", "keeps", "water", "cold", "all", "day."]]
    aligner = eleven.aligner()
    assert isinstance(aligner, WordAligner)
    result = aligner.align(speech, lines, language="en")

    duration = probe(speech).duration
    assert [w.text for w in result.words] == [w for line in lines for w in line]
    assert result.method == "elevenlabs-forced-alignment"
    for word, nxt in zip(result.words, result.words[1:], strict=False):
        assert 0 <= word.start <= word.end <= nxt.start <= duration
    second_line = result.words[len(lines[0])]
    assert second_line.start == pytest.approx(3.0, abs=0.35)  # the line starts at 3 s
    assert eleven.fake.requests[0]["fields"] == ["file", "text"]
    assert aligner.usage.take(speech)[0].units == pytest.approx(duration, abs=0.05)


def test_map_words_vendor_splits_and_misses_every_word_timed() -> None:
    vendor = [VendorWord("don", 0.0, 0.2), VendorWord("'t", 0.2, 0.3),
              VendorWord("stop", 0.4, 0.8), VendorWord("now!", 1.6, 2.0)]
    timed = map_words(["Don't", "stop", "—", "really", "now!"], vendor, 2.5)

    assert [w.text for w in timed] == ["Don't", "stop", "—", "really", "now!"]
    assert (timed[0].start, timed[0].end) == (0.0, 0.3)
    assert timed[4].start == 1.6
    assert 0.8 <= timed[2].start <= timed[3].start <= timed[3].end <= 1.6


def test_convert_speech_elevenlabs_bad_key_fails_at_once(eleven: Rig, speech: Path) -> None:
    sleeps: list[float] = []
    with pytest.raises(VendorAuthError, match="invalid_api_key"):
        call_with_retries(lambda: eleven.converter("sk_wrong").convert(
            speech, voice=voices()["roger"], out_path=eleven.tmp / "o.wav"), sleep=sleeps.append)
    assert sleeps == []


def test_convert_speech_elevenlabs_rate_limited_retried_after(eleven: Rig, speech: Path) -> None:
    eleven.fake.faults.add(429, {"detail": {"status": "too_many_concurrent_requests",
                                            "message": "slow down"}},
                           headers={"Retry-After": "7"})
    eleven.fake.faults.add(503, {"detail": {"status": "system_busy", "message": "busy"}})
    sleeps: list[float] = []
    out = call_with_retries(lambda: eleven.converter().convert(
        speech, voice=voices()["sarah"], out_path=eleven.tmp / "o.wav"),
        sleep=sleeps.append, base_delay_s=0.01)
    assert out.is_file()
    assert len(sleeps) == 2 and sleeps[0] >= 7.0 and sleeps[1] < 1.0


def test_align_words_elevenlabs_quota_exhausted_is_permanent(eleven: Rig, speech: Path) -> None:
    eleven.fake.faults.add(401, {"detail": {"status": "quota_exceeded",
                                            "message": "This request exceeds your quota."}})
    with pytest.raises(VendorQuotaError, match="exceeds your quota"):
        eleven.aligner().align(speech, [["hello"]], language="en")


def test_align_words_elevenlabs_server_error_is_transient(eleven: Rig, speech: Path) -> None:
    eleven.fake.faults.add(500, {"detail": {"status": "internal", "message": "oops"}})
    with pytest.raises(TransientProviderError):
        eleven.aligner().align(speech, [["hello"]], language="en")


def test_convert_speech_elevenlabs_unmapped_voice_is_permanent(eleven: Rig, speech: Path) -> None:
    converter = ElevenLabsSpeechConverter(api_key=SecretStr(KEY), voice_ids={},
                                          base_url=eleven.url)
    with pytest.raises(PermanentProviderError, match="no ElevenLabs voice"):
        converter.convert(speech, voice=voices()["liam"], out_path=eleven.tmp / "o.wav")
    assert eleven.fake.requests == []


def test_elevenlabs_key_never_in_logs_or_errors(eleven: Rig, speech: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "sk_wrong_secret_value_42"
    for key, fault in ((wrong, None), (KEY, 500)):
        if fault:
            eleven.fake.faults.add(fault, {"detail": {"status": "x", "message": "y"}})
        with pytest.raises(Exception) as caught:
            eleven.aligner(key).align(speech, [["hello"]], language="en")
        chain = [caught.value, caught.value.__cause__]
        for text in [caplog.text, *(str(e) for e in chain), *(repr(e) for e in chain)]:
            assert key not in text


def test_decode_args_elevenlabs_pads_to_source_length() -> None:
    args = decode_args(Path("a.mp3"), Path("o.wav"), duration_s=2.5)
    assert "aresample=48000,apad=whole_len=120000,atrim=end_sample=120000" in args
    assert args[-1] == "o.wav" and args[args.index("-ac") + 1] == "1"


def test_from_settings_elevenlabs_without_key_is_missing_credentials() -> None:
    with pytest.raises(MissingCredentialsError, match="UGEN_ELEVENLABS_API_KEY"):
        ElevenLabsAligner.from_settings(Settings(elevenlabs_api_key=None))


def test_usage_ledger_take_once_and_bounded() -> None:
    ledger = UsageLedger(max_keys=2)
    for key in ("a", "b", "c"):
        ledger.add(key, Usage(units=1.5, unit="second", provider="elevenlabs", model="m"))
    assert ledger.take("a") == ()  # the oldest key made room
    assert [u.units for u in ledger.take("c")] == [1.5]
    assert ledger.take("c") == ()

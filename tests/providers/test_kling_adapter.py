"""The Kling adapter against the fake Kling server on loopback."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import subprocess
from pathlib import Path

import httpx
import jwt
import numpy as np
import pytest
from pydantic import SecretStr

from tests.providers.fakes.elevenlabs import voiced_regions
from tests.providers.fakes.kling import validate_create
from tests.providers.fakes.retired_models import RetiredModel
from tests.providers.kling_kit import ACCESS_KEY, SECRET_KEY, KlingRig
from tests.utils.video import poll_until_done
from ugen.media.probe import probe
from ugen.providers.base import (
    ContentPolicyError,
    PermanentProviderError,
    TransientProviderError,
)
from ugen.providers.kling import KlingVideoProvider
from ugen.providers.kling._auth import make_token
from ugen.providers.kling._errors import error_for
from ugen.providers.kling.video import MAX_PROMPT_CHARS
from ugen.providers.retry import call_with_retries
from ugen.providers.vendor import (
    VendorAuthError,
    VendorConfigError,
    VendorQuotaError,
    VendorTaskGoneError,
    load_vendor_models,
)


def test_generate_segment_kling_returns_real_video(kling: KlingRig) -> None:
    adapter = kling.adapter()
    task_id = adapter.submit(kling.request())
    assert adapter.poll(task_id).state == "pending"
    result = poll_until_done(adapter, task_id)
    assert result.state == "succeeded" and result.output is not None
    info = probe(result.output)
    assert info.video is not None
    assert abs(info.duration - 3.0) < 0.2
    body = kling.fake.tasks[task_id].body
    assert body["model_name"] == "kling-v3" and body["mode"] == "std"
    assert body["duration"] == "3" and body["sound"] == "on"
    assert body["external_task_id"].startswith("ugen-")


def test_generate_segment_kling_speaks_the_line_in_its_native_audio(kling: KlingRig) -> None:
    adapter = kling.adapter()
    task_id = adapter.submit(kling.request())
    body = kling.fake.tasks[task_id].body
    assert body["prompt"] == 'she lifts the bottle The creator says: "This serum changed my ' \
                             'mornings."'
    result = poll_until_done(adapter, task_id)
    assert result.output is not None
    pcm = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(result.output),
                          "-vn", "-ac", "1", "-ar", "16000", "-f", "s16le", "pipe:1"],
                         capture_output=True, check=True, timeout=60).stdout
    assert voiced_regions(np.frombuffer(pcm, dtype="<i2"))  # the fake spoke the quoted line


def test_request_body_kling_silent_segment_sends_motion_prompt_only(kling: KlingRig) -> None:
    request = dataclasses.replace(kling.request(), sound=False)
    body = kling.adapter().request_body(request, "ugen-x")
    assert (body["prompt"], body["sound"]) == ("she lifts the bottle", "off")


def test_request_body_kling_long_prompt_keeps_the_spoken_line(kling: KlingRig) -> None:
    request = dataclasses.replace(kling.request(), prompt="slow push-in " * 400,
                                  spoken_line='Say "wow"   to   glowing skin.')
    prompt = kling.adapter().request_body(request, "ugen-x")["prompt"]
    assert len(prompt) <= MAX_PROMPT_CHARS
    assert prompt.startswith("slow push-in")
    assert prompt.endswith('The creator says: "Say \'wow\' to glowing skin."')


def test_submit_segment_twice_creates_one_task(kling: KlingRig) -> None:
    adapter = kling.adapter()
    request = kling.request()
    first = adapter.submit(request)
    again = kling.adapter().submit(request)  # a submit step re-run after a crash
    assert first == again
    assert kling.fake.submissions == 1
    assert kling.adapter().submit(kling.request(seed=8)) != first  # a new QA attempt
    assert kling.fake.submissions == 2


def test_submit_segment_bad_key_fails_without_retry(kling: KlingRig) -> None:
    adapter = kling.adapter(secret="sk-wrong-but-long-enough-for-hs256-0000")
    sleeps: list[float] = []
    with pytest.raises(VendorAuthError, match="Authorization is invalid"):
        call_with_retries(lambda: adapter.submit(kling.request()), sleep=sleeps.append)
    assert sleeps == []
    assert kling.fake.submissions == 0


def test_submit_segment_rate_limited_honours_retry_after(kling: KlingRig) -> None:
    kling.fake.retry_after_s = 3.0
    kling.fake.inject("rate_limit", method="POST")
    kling.fake.inject("concurrency", method="POST")
    sleeps: list[float] = []
    adapter = kling.adapter()
    task_id = call_with_retries(lambda: adapter.submit(kling.request()), sleep=sleeps.append,
                                base_delay_s=0.01)
    assert task_id in kling.fake.tasks
    assert len(sleeps) == 2 and all(s >= 3.0 for s in sleeps)
    assert kling.fake.submissions == 1


def test_poll_segment_server_error_is_transient(kling: KlingRig) -> None:
    adapter = kling.adapter()
    task_id = adapter.submit(kling.request())
    kling.fake.inject("server", method="GET")
    with pytest.raises(TransientProviderError, match="HTTP 500"):
        adapter.poll(task_id)


def test_submit_segment_policy_refusal_carries_vendor_message(kling: KlingRig) -> None:
    kling.fake.inject("policy", method="POST")
    sleeps: list[float] = []
    with pytest.raises(ContentPolicyError, match="violates policy") as err:
        call_with_retries(lambda: kling.adapter().submit(kling.request()), sleep=sleeps.append)
    assert err.value.request_id == "req-fake" and sleeps == []


def test_submit_segment_exhausted_balance_is_permanent(kling: KlingRig) -> None:
    kling.fake.inject("balance", method="POST")
    with pytest.raises(VendorQuotaError, match="1102"):
        call_with_retries(lambda: kling.adapter().submit(kling.request()), sleep=lambda s: None)


def test_poll_segment_unknown_task_is_gone(kling: KlingRig) -> None:
    with pytest.raises(VendorTaskGoneError):
        kling.adapter().poll("kt999999")


def test_poll_segment_failed_task_reports_vendor_reason(kling: KlingRig) -> None:
    kling.fake.fail_tasks_with = "Failure to pass the risk control system"
    adapter = kling.adapter()
    result = poll_until_done(adapter, adapter.submit(kling.request()))
    assert result.state == "failed" and "risk control" in (result.error or "")


def test_kling_secret_never_in_errors_or_logs(kling: KlingRig,
                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    adapter = kling.adapter()
    poll_until_done(adapter, adapter.submit(kling.request()))
    messages = []
    for fault in ("auth", "policy", "server"):
        kling.fake.inject(fault)
        with pytest.raises(Exception) as err:
            adapter.submit(kling.request(seed=99))
        messages.append(f"{err.value!s} {err.value!r}")
    token = adapter._client.tokens.token()
    for text in [caplog.text, *messages]:
        assert SECRET_KEY not in text and token not in text
    assert ACCESS_KEY not in caplog.text


def test_make_token_kling_claims_verify_with_pyjwt() -> None:
    token = make_token(ACCESS_KEY, SECRET_KEY, now=1_700_000_000)
    claims = jwt.decode(token, SECRET_KEY, algorithms=["HS256"],
                        options={"verify_exp": False, "verify_nbf": False})
    assert claims == {"iss": ACCESS_KEY, "exp": 1_700_001_800, "nbf": 1_699_999_995}
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}


def test_fake_kling_answers_an_unknown_task_as_the_live_api(kling: KlingRig) -> None:
    """HTTP 400 with code 1201, for a task id and for an external id alike (not a 404)."""
    token = make_token(ACCESS_KEY, SECRET_KEY)
    with httpx.Client(base_url=kling.url, headers={"Authorization": f"Bearer {token}"}) as http:
        for unknown in ("kt424242", "ugen-0123456789abcdef"):
            answer = http.get(f"/v1/videos/image2video/{unknown}")
            assert answer.status_code == 400
            assert answer.json()["code"] == 1201
            assert answer.json()["message"] == f"Task not found by id/external id: {unknown}"


def test_submit_segment_kling_first_lookup_not_found_creates_the_task(kling: KlingRig) -> None:
    task_id = kling.adapter().submit(kling.request())
    lookups = [p for m, p in kling.fake.requests if m == "GET"]
    assert len(lookups) == 1 and lookups[0].rpartition("/")[2].startswith("ugen-")
    assert kling.fake.submissions == 1 and task_id in kling.fake.tasks


@pytest.mark.parametrize(("fault", "error", "code"), [
    ("no_permission", VendorAuthError, 1103),
    ("platform_policy", ContentPolicyError, 1300),
    ("ip_whitelist", VendorConfigError, 1304),
    ("account", VendorConfigError, 1100),
    ("balance", VendorQuotaError, 1102),
])
def test_submit_segment_kling_documented_codes_fail_at_once(
        kling: KlingRig, fault: str, error: type[Exception], code: int) -> None:
    kling.fake.inject(fault, method="POST")
    sleeps: list[float] = []
    with pytest.raises(error, match=f"code {code}"):
        call_with_retries(lambda: kling.adapter().submit(kling.request()), sleep=sleeps.append)
    assert sleeps == []  # 1304 comes with HTTP 429, and is still not retried
    assert kling.fake.submissions == 0


def test_poll_segment_kling_maintenance_is_transient(kling: KlingRig) -> None:
    adapter = kling.adapter()
    task_id = adapter.submit(kling.request())
    kling.fake.inject("maintenance", method="GET")
    with pytest.raises(TransientProviderError, match="code 5001"):
        adapter.poll(task_id)


@pytest.mark.parametrize(("status", "code", "task_path", "error"), [
    (400, 1201, True, VendorTaskGoneError),  # the live answer for an unknown task
    (404, 1203, True, VendorTaskGoneError),
    (404, None, True, VendorTaskGoneError),
    (400, 1201, False, PermanentProviderError),  # a bad create body is not "gone"
    (403, 1103, True, VendorAuthError),
    (429, 1304, False, VendorConfigError),
    (429, 1302, False, TransientProviderError),
    (418, 1999, False, PermanentProviderError),  # an undocumented code: by its status
    (503, 1999, False, TransientProviderError),
])
def test_error_for_kling_by_code_table(status: int, code: int | None, task_path: bool,
                                       error: type[Exception]) -> None:
    response = httpx.Response(status, request=httpx.Request("GET", "https://kling.test/x"))
    found = error_for(response, {"code": code, "message": "m", "request_id": "r"},
                      task_path=task_path)
    assert type(found) is error
    assert found.request_id == "r" and "(HTTP" in str(found)


def test_request_body_kling_model_without_sound_field_omits_it(kling: KlingRig,
                                                              tmp_path: Path) -> None:
    turbo = tmp_path / "vendors.toml"
    turbo.write_text('[models.kling3_std]\nvendor = "kling"\nvendor_model = "kling-v2-5-turbo"\n'
                     'mode = "std"\n')
    adapter = KlingVideoProvider(
        access_key=SecretStr(ACCESS_KEY), secret_key=SecretStr(SECRET_KEY),
        models=load_vendor_models(turbo), work_dir=tmp_path / "out", base_url=kling.url)
    body = adapter.request_body(kling.request(), "ugen-x")
    assert "sound" not in body and body["prompt"] == "she lifts the bottle"
    task_id = adapter.submit(kling.request())  # the fake takes it: no field the model refuses
    assert kling.fake.tasks[task_id].body["model_name"] == "kling-v2-5-turbo"
    assert validate_create({**body, "sound": "on"})[0] == (
        "sound is not supported by model kling-v2-5-turbo")


def test_submit_segment_kling_retired_model_is_refused(kling: KlingRig) -> None:
    kling.fake.retired_models = (RetiredModel("kling", "kling-v3", dt.date(2026, 1, 1),
                                              "test row: Kling documents no retirement"),)
    with pytest.raises(PermanentProviderError, match=r"kling-v3 does not exist.*code 1203"):
        kling.adapter().submit(kling.request())

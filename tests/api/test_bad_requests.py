"""A corpus of bad requests: each answers 4xx in the documented shape and moves no credits.

The cases share one app and database (the corpus is large). Every case builds its request
first (uploads, a job, extra keys: whatever it needs), then the money is counted (every
account's balance and reserved credits, the number of ledger rows and of jobs, and the balance
the API reports), the request is sent, and the money is counted again: a refused request must
leave all of it as it was.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.api.conftest import SMALL_JOB, headers, png_bytes
from tests.utils.api import isolated_settings
from ugen.api.main import create_app
from ugen.core.config import Settings
from ugen.store.api_keys import create_account, create_api_key, revoke_api_key
from ugen.store.db import session_scope
from ugen.store.models import Account, CreditTransaction, Job

JOBS = "/api/v1/jobs"
UPLOAD = "/api/v1/uploads/product-image"
BALANCE = "/api/v1/credits/balance"
IDEMPOTENCY_KEY = "bad-requests-idem-1"
DROP = object()
"""A field value meaning: leave the field out of the body."""


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] | None = None
    """None: the account's own key."""


class Canary:
    """A loopback HTTP server serving a valid PNG, counting the requests that reach it.

    An SSRF guard that works leaves it untouched; one that fetched would get a real image.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.hits: list[str] = []


@contextmanager
def running_canary() -> Iterator[Canary]:
    image = png_bytes()
    server: ThreadingHTTPServer
    canary: Canary

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            canary.hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(image)))
            self.end_headers()
            self.wfile.write(image)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    canary = Canary(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield canary
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class Ctx:
    """The test's account, and whatever else a case needs, made on first use."""

    def __init__(self, client: TestClient, settings: Settings,
                 make_account: Callable[..., tuple[str, str]], canary: Canary) -> None:
        self.client = client
        self.settings = settings
        self.make_account = make_account
        self.canary = canary
        self.account_id, self.key = make_account(1000)
        self._cache: dict[str, str] = {}

    def _once(self, name: str, make: Callable[[], str]) -> str:
        if name not in self._cache:
            self._cache[name] = make()
        return self._cache[name]

    def upload(self, key: str | None = None) -> str:
        def make() -> str:
            r = self.client.post(UPLOAD, headers=headers(key or self.key),
                                 files={"file": ("p.png", png_bytes(), "image/png")})
            assert r.status_code == 201, r.text
            url: str = r.json()["url"]
            return url

        return self._once(f"upload:{key or self.key}", make)

    def other_key(self) -> str:
        return self._once("other_key", lambda: self.make_account(1000)[1])

    def poor_key(self) -> str:
        """A key of an account with 1 credit: not enough for any job."""
        return self._once("poor_key", lambda: self.make_account(1)[1])

    def revoked_key(self) -> str:
        def make() -> str:
            created = create_api_key(self.settings, self.account_id, name="revoked")
            revoke_api_key(self.settings, created.key_id)
            return created.api_key

        return self._once("revoked_key", make)

    def expired_key(self) -> str:
        def make() -> str:
            past = datetime.now(UTC) - timedelta(days=1)
            return create_api_key(self.settings, self.account_id, name="expired",
                                  expires_at=past).api_key

        return self._once("expired_key", make)

    def job(self) -> str:
        """A queued job created with :data:`IDEMPOTENCY_KEY`."""
        def make() -> str:
            r = self.client.post(JOBS, headers=headers(self.key),
                                 json={**SMALL_JOB, "product_image_url": self.upload(),
                                       "idempotency_key": IDEMPOTENCY_KEY})
            assert r.status_code == 201, r.text
            job_id: str = r.json()["job_id"]
            return job_id

        return self._once("job", make)

    def cancelled_job(self) -> str:
        def make() -> str:
            r = self.client.post(JOBS, headers=headers(self.key),
                                 json={**SMALL_JOB, "product_image_url": self.upload()})
            assert r.status_code == 201, r.text
            job_id: str = r.json()["job_id"]
            r = self.client.post(f"{JOBS}/{job_id}/cancel", headers=headers(self.key))
            assert r.status_code == 200, r.text
            return job_id

        return self._once("cancelled_job", make)


Build = Callable[[Ctx], Req]


@dataclass(frozen=True)
class Bad:
    id: str
    build: Build
    status: int
    code: str | None = None
    """``error.code`` of an application error (not for 422)."""
    loc: tuple[str | int, ...] = ()
    """For a 422: the start of the ``loc`` of one of the ``detail`` items."""


def job_body(**fields: Any) -> Build:
    """POST /jobs with the small job's body on an upload of the account, changed by ``fields``."""
    def build(ctx: Ctx) -> Req:
        body = {**SMALL_JOB, "product_image_url": ctx.upload(), **fields}
        return Req("POST", JOBS, {"json": {k: v for k, v in body.items() if v is not DROP}})

    return build


def invalid(id_: str, loc: tuple[str | int, ...], **fields: Any) -> Bad:
    """A create-job body refused with a 422 whose ``detail`` points at ``loc``."""
    return Bad(id_, job_body(**fields), 422, loc=loc)


def get(path: str) -> Build:
    return lambda _ctx: Req("GET", path)


def upload_file(name: str, data: bytes | Callable[[], bytes], content_type: str) -> Build:
    def build(_ctx: Ctx) -> Req:
        raw = data() if callable(data) else data
        return Req("POST", UPLOAD, {"files": {"file": (name, raw, content_type)}})

    return build


def with_key(pick: Callable[[Ctx], str | None], *, bearer: bool = False) -> Build:
    """GET the balance with the key ``pick`` chooses (None: no key at all)."""
    def build(ctx: Ctx) -> Req:
        key = pick(ctx)
        if key is None:
            return Req("GET", BALANCE, headers={})
        return Req("GET", BALANCE, headers={"Authorization": f"Bearer {key}"} if bearer
                   else {"X-API-Key": key})

    return build


def on_job(method: str, suffix: str, *, cancelled: bool = False, **kwargs: Any) -> Build:
    def build(ctx: Ctx) -> Req:
        job_id = ctx.cancelled_job() if cancelled else ctx.job()
        return Req(method, f"{JOBS}/{job_id}{suffix}", kwargs)

    return build


def _idempotency_reuse(ctx: Ctx) -> Req:
    ctx.job()
    return job_body(idempotency_key=IDEMPOTENCY_KEY, segment_count=2)(ctx)


def canary_url(template: str) -> Build:
    """A create-job body whose ``product_image_url`` points at the canary (``{port}``)."""
    return lambda ctx: job_body(product_image_url=template.format(port=ctx.canary.port))(ctx)


def _foreign_upload(ctx: Ctx) -> Req:
    return job_body(product_image_url=ctx.upload(ctx.other_key()))(ctx)


def _insufficient(ctx: Ctx) -> Req:
    poor = ctx.poor_key()
    body = {**SMALL_JOB, "product_image_url": ctx.upload(poor)}
    return Req("POST", JOBS, {"json": body}, headers=headers(poor))


def _malformed_json(ctx: Ctx) -> Req:
    raw = f'{{"product_name": "P", "product_image_url": "{ctx.upload()}",'.encode()
    return Req("POST", JOBS, {"content": raw},
               headers={**headers(ctx.key), "content-type": "application/json"})


def raw_body(path: str, fragment: str, *, job: bool = True) -> Build:
    """POST a JSON body written by hand (``json=`` cannot spell ``NaN``): the small job's
    fields (with ``job``) and then ``fragment``."""
    def build(ctx: Ctx) -> Req:
        fields = json.dumps({**SMALL_JOB, "product_image_url": ctx.upload()})[1:-1] + ", " \
            if job else ""
        raw = "{" + fields + fragment + "}"
        return Req("POST", path, {"content": raw.encode()},
                   headers={**headers(ctx.key), "content-type": "application/json"})

    return build


def raw_job(fragment: str) -> Build:
    return raw_body(JOBS, fragment)


def signed_file(expires: str) -> Build:
    """GET a job file with a hand-made ``expires`` and a signature of the right shape."""
    return get(f"/api/v1/files/{UNKNOWN_ID}/final.mp4?expires={expires}&signature={'0' * 64}")


def _oversize_job(ctx: Ctx) -> Req:
    body = {**SMALL_JOB, "product_image_url": ctx.upload(),
            "product_name": "x" * (ctx.settings.max_json_body_bytes + 1)}
    return Req("POST", JOBS, {"json": body})


def _truncated_png() -> bytes:
    data = png_bytes()
    return data[: len(data) // 2]


UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
SSRF_URLS = {
    "loopback": "http://127.0.0.1/x.png",
    "metadata": "http://169.254.169.254/latest/meta-data",
    "file_scheme": "file:///etc/passwd",
    "ftp_scheme": "ftp://example.com/x.png",
    "ipv6_loopback": "http://[::1]/",
    "private_10": "http://10.0.0.1/a.png",
    "localhost_name": "http://localhost/x.png",
    "unspecified": "http://0.0.0.0/x.png",
    "ipv4_mapped_loopback": "http://[::ffff:127.0.0.1]/x.png",
}

# The same refused addresses with a live server behind them: nothing may reach it.
CANARY_URLS = {
    "loopback": "http://127.0.0.1:{port}/x.png",
    "localhost_name": "http://localhost:{port}/x.png",
    "decimal_loopback": "http://2130706433:{port}/x.png",
    "https_loopback": "https://127.0.0.1:{port}/x.png",
}

CASES: list[Bad] = [
    # Wrong types and shapes.
    invalid("product_name_not_a_string", ("body", "product_name"), product_name=123),
    invalid("segment_count_not_a_number", ("body", "segment_count"), segment_count="three"),
    invalid("segment_count_fractional", ("body", "segment_count"), segment_count=2.5),
    invalid("music_enabled_not_a_boolean", ("body", "music_enabled"), music_enabled="maybe"),
    invalid("selling_points_not_a_list", ("body", "key_selling_points"),
            key_selling_points="great"),
    invalid("voice_settings_not_an_object", ("body", "voice_settings"), voice_settings="nova"),
    invalid("unknown_field", ("body", "colour_grade"), colour_grade="teal"),
    Bad("body_is_an_array", lambda ctx: Req("POST", JOBS, {"json": [SMALL_JOB]}), 422,
        loc=("body",)),
    Bad("malformed_json", _malformed_json, 422, loc=("body",)),
    # Missing required fields.
    invalid("missing_product_name", ("body", "product_name"), product_name=DROP),
    invalid("missing_product_image_url", ("body", "product_image_url"),
            product_image_url=DROP),
    Bad("empty_body", lambda ctx: Req("POST", JOBS, {"json": {}}), 422,
        loc=("body", "product_name")),
    # Models, aspect ratios, durations and counts.
    invalid("veo3_fast_square", ("body",), video_model="veo3_fast", aspect_ratio="1:1",
            segment_duration=DROP),
    invalid("veo3_square", ("body",), video_model="veo3", aspect_ratio="1:1",
            segment_duration=DROP),
    invalid("kling3_4k_auto", ("body",), video_model="kling3_4k", aspect_ratio="auto"),
    invalid("aspect_4_3", ("body", "aspect_ratio"), aspect_ratio="4:3"),
    invalid("unknown_video_model", ("body", "video_model"), video_model="sora-2"),
    invalid("veo3_fast_duration_5", ("body",), video_model="veo3_fast", segment_duration=5),
    invalid("veo3_duration_10", ("body",), video_model="veo3", segment_duration=10),
    invalid("kling_duration_2", ("body",), segment_duration=2),
    invalid("kling_duration_11", ("body",), segment_duration=11),
    invalid("segment_count_0", ("body", "segment_count"), segment_count=0),
    invalid("segment_count_11", ("body", "segment_count"), segment_count=11),
    # Unknown catalogue values.
    invalid("unknown_persona", ("body", "persona_id"), persona_id="nobody"),
    invalid("unknown_voice", ("body", "voice_settings"), voice_settings={"voice_id": "nope"}),
    invalid("unknown_caption_style", ("body", "caption_style"), caption_style="comic_sans"),
    invalid("unknown_music_mood", ("body", "music_mood"), music_mood="gloomy"),
    invalid("unknown_qai_mode", ("body", "qai_mode"), qai_mode="paranoid"),
    invalid("unknown_interaction_mode", ("body", "interaction_mode"),
            interaction_mode="juggled"),
    invalid("unknown_stop_at_stage", ("body", "stop_at_stage"), stop_at_stage="publish"),
    # Numbers out of range.
    invalid("keyframe_retries_minus_1", ("body", "max_retries_keyframe"),
            max_retries_keyframe=-1),
    invalid("video_retries_6", ("body", "max_retries_video"), max_retries_video=6),
    invalid("music_volume_1_5", ("body", "music_volume"), music_volume=1.5),
    invalid("seed_negative", ("body", "seed"), seed=-1),
    invalid("bad_caption_colour", ("body", "custom_caption_options"),
            custom_caption_options={"primary_colour": "red"}),
    # The product image.
    invalid("upload_url_not_a_uuid", ("body", "product_image_url"),
            product_image_url="ugen://uploads/not-a-uuid"),
    invalid("upload_url_unknown", ("body", "product_image_url"),
            product_image_url=f"ugen://uploads/{UNKNOWN_ID}"),
    Bad("upload_url_of_another_account", _foreign_upload, 422,
        loc=("body", "product_image_url")),
    *[invalid(f"ssrf_{name}", ("body", "product_image_url"), product_image_url=url)
      for name, url in SSRF_URLS.items()],
    *[Bad(f"ssrf_canary_{name}", canary_url(template), 422, loc=("body", "product_image_url"))
      for name, template in CANARY_URLS.items()],
    invalid("webhook_url_private", ("body", "webhook_url"),
            webhook_url="http://127.0.0.1:9/hook"),
    # Uploads.
    Bad("upload_oversize", upload_file(
        "big.png", lambda: png_bytes() + b"\0" * (10 * 1024 * 1024), "image/png"),
        413, code="FILE_TOO_LARGE"),
    Bad("upload_corrupt_png", upload_file(
        "c.png", b"\x89PNG\r\n\x1a\n" + b"\x00garbage-not-chunks" * 64, "image/png"),
        400, code="UNSUPPORTED_IMAGE"),
    Bad("upload_truncated_png", upload_file("t.png", _truncated_png, "image/png"),
        400, code="UNSUPPORTED_IMAGE"),
    Bad("upload_not_an_image", upload_file("notes.txt", b"hello\n" * 100, "text/plain"),
        400, code="UNSUPPORTED_IMAGE"),
    Bad("upload_empty", upload_file("e.png", b"", "image/png"), 400, code="EMPTY_FILE"),
    Bad("upload_without_file", lambda ctx: Req("POST", UPLOAD, {"data": {"x": "1"}}), 422,
        loc=("body", "file")),
    # Keys.
    Bad("key_unknown", with_key(lambda ctx: "ugen_sk_" + "x" * 43), 401, code="UNAUTHORIZED"),
    Bad("key_without_prefix", with_key(lambda ctx: "sk_live_123"), 401, code="UNAUTHORIZED"),
    Bad("key_revoked", with_key(Ctx.revoked_key), 401, code="UNAUTHORIZED"),
    Bad("key_expired", with_key(Ctx.expired_key), 401, code="UNAUTHORIZED"),
    Bad("key_missing", with_key(lambda ctx: None), 401, code="UNAUTHORIZED"),
    Bad("bearer_unknown", with_key(lambda ctx: "ugen_sk_nope", bearer=True), 401,
        code="UNAUTHORIZED"),
    Bad("create_job_with_revoked_key", lambda ctx: Req(
        "POST", JOBS, {"json": {**SMALL_JOB, "product_image_url": ctx.upload()}},
        headers=headers(ctx.revoked_key())), 401, code="UNAUTHORIZED"),
    # Money and idempotency.
    Bad("insufficient_credits", _insufficient, 402, code="INSUFFICIENT_CREDITS"),
    Bad("idempotency_key_reused_with_another_body", _idempotency_reuse, 409,
        code="IDEMPOTENCY_CONFLICT"),
    # Unknown jobs and wrong job states.
    Bad("get_unknown_job", get(f"{JOBS}/{UNKNOWN_ID}"), 404, code="JOB_NOT_FOUND"),
    Bad("cancel_unknown_job", lambda ctx: Req("POST", f"{JOBS}/{UNKNOWN_ID}/cancel"), 404,
        code="JOB_NOT_FOUND"),
    Bad("retry_unknown_job", lambda ctx: Req("POST", f"{JOBS}/{UNKNOWN_ID}/retry"), 404,
        code="JOB_NOT_FOUND"),
    Bad("video_of_unknown_job", get(f"{JOBS}/{UNKNOWN_ID}/video"), 404, code="JOB_NOT_FOUND"),
    Bad("video_of_queued_job", on_job("GET", "/video"), 404, code="OUTPUT_NOT_READY"),
    Bad("retry_from_unknown_stage", on_job("POST", "/retry", cancelled=True,
                                           json={"from_stage": "publish"}), 422,
        loc=("body", "from_stage")),
    Bad("retry_with_unknown_field", on_job("POST", "/retry", cancelled=True,
                                           json={"from": "agents"}), 422, loc=("body", "from")),
    Bad("retry_past_first_unfinished_stage", on_job("POST", "/retry", cancelled=True,
                                                    json={"from_stage": "complete"}), 409,
        code="JOB_STATE_CONFLICT"),
    Bad("retry_queued_job", on_job("POST", "/retry"), 409, code="JOB_STATE_CONFLICT"),
    Bad("cancel_cancelled_job", on_job("POST", "/cancel", cancelled=True), 409,
        code="JOB_STATE_CONFLICT"),
    # Other resources.
    Bad("list_page_0", get(f"{JOBS}?page=0"), 422, loc=("query", "page")),
    Bad("list_page_size_101", get(f"{JOBS}?page_size=101"), 422, loc=("query", "page_size")),
    Bad("list_page_past_64_bits", get(f"{JOBS}?page={10**20}"), 422, loc=("query", "page")),
    Bad("transactions_page_past_64_bits", get(f"/api/v1/credits/transactions?page={10**20}"),
        422, loc=("query", "page")),
    Bad("events_last_id_past_64_bits", on_job("GET", f"/events?last_event_id={10**20}"), 422,
        loc=("query", "last_event_id")),
    Bad("list_unknown_status", get(f"{JOBS}?status=bogus"), 422, loc=("query", "status")),
    Bad("unknown_model", get("/api/v1/models/sora-2"), 404, code="MODEL_NOT_FOUND"),
    Bad("estimate_segment_count_0", lambda ctx: Req(
        "POST", "/api/v1/credits/estimate", {"json": {"segment_count": 0}}), 422,
        loc=("body", "segment_count")),
    Bad("tenant_webhook_private", lambda ctx: Req(
        "PUT", "/api/v1/tenants/me/webhook", {"json": {"webhook_url": "https://10.0.0.1/h"}}),
        422, loc=("body", "webhook_url")),
    # Blank text: nothing visible is no value.
    invalid("blank_product_name", ("body", "product_name"), product_name="   "),
    invalid("blank_product_name_zero_width", ("body", "product_name"),
            product_name="\u200b \u200b"),
    invalid("blank_cta_text", ("body", "cta_text"), cta_text=" \n "),
    invalid("blank_selling_point", ("body", "key_selling_points", 1),
            key_selling_points=["Brightens in two weeks", "\t"]),
    invalid("blank_environment_description", ("body", "environment_description"),
            environment_description=" \n\t "),
    invalid("blank_custom_script", ("body", "custom_script"), custom_script=" \n "),
    invalid("blank_idempotency_key", ("body", "idempotency_key"), idempotency_key="   "),
    invalid("blank_webhook_url", ("body", "webhook_url"), webhook_url="   "),
    Bad("blank_estimate_product_name", lambda ctx: Req(
        "POST", "/api/v1/credits/estimate", {"json": {"product_name": "  "}}), 422,
        loc=("body", "product_name")),
    Bad("blank_tenant_webhook_secret", lambda ctx: Req(
        "PUT", "/api/v1/tenants/me/webhook",
        {"json": {"webhook_url": "https://hooks.example.com/h", "webhook_secret": "  "}}),
        422, loc=("body", "webhook_secret")),
    Bad("blank_tenant_webhook_url", lambda ctx: Req(
        "PUT", "/api/v1/tenants/me/webhook", {"json": {"webhook_url": " "}}),
        422, loc=("body", "webhook_url")),
    # Control characters and text past its limits.
    invalid("product_name_with_nul", ("body", "product_name"), product_name="Glow\x00Serum"),
    invalid("product_name_with_line_break", ("body", "product_name"),
            product_name="Glow\nSerum"),
    invalid("cta_text_with_escape", ("body", "cta_text"), cta_text="\x1b[31mTap now"),
    invalid("product_name_201_chars", ("body", "product_name"), product_name="x" * 201),
    invalid("eleven_selling_points", ("body", "key_selling_points"),
            key_selling_points=[f"point {i}" for i in range(11)]),
    invalid("selling_point_201_chars", ("body", "key_selling_points", 0),
            key_selling_points=["x" * 201]),
    invalid("webhook_url_2001_chars", ("body", "webhook_url"),
            webhook_url="https://hooks.example.com/" + "x" * 2000),
    Bad("tenant_webhook_secret_past_256_bytes", lambda ctx: Req(
        "PUT", "/api/v1/tenants/me/webhook",
        {"json": {"webhook_url": "https://hooks.example.com/h", "webhook_secret": "é" * 129}}),
        422, loc=("body", "webhook_secret")),
    # Script limits count the text as sent, whitespace included.
    invalid("script_over_limit_by_trailing_spaces", ("body", "custom_script"),
            custom_script="Glow serum makes skin bright. " + " " * 3000),
    invalid("script_over_limit_by_inner_spaces", ("body", "custom_script"),
            custom_script="Glow serum" + " " * 2995 + "makes skin bright."),
    # Numbers JSON cannot carry, and strings no text can hold (bodies written by hand).
    Bad("nan_music_volume", raw_job('"music_volume": NaN'), 422,
        loc=("body", "music_volume")),
    Bad("infinity_segment_count", raw_job('"segment_count": Infinity'), 422,
        loc=("body", "segment_count")),
    Bad("minus_infinity_seed", raw_job('"seed": -Infinity'), 422, loc=("body", "seed")),
    Bad("overflowing_music_volume", raw_job('"music_volume": 1e400'), 422,
        loc=("body", "music_volume")),
    Bad("nan_nested_font_size", raw_job('"custom_caption_options": {"font_size": NaN}'), 422,
        loc=("body", "custom_caption_options", "font_size")),
    Bad("nan_nested_voice_id", raw_job('"voice_settings": {"voice_id": NaN}'), 422,
        loc=("body", "voice_settings", "voice_id")),
    Bad("nan_in_selling_points", raw_job('"key_selling_points": ["a", NaN]'), 422,
        loc=("body", "key_selling_points", 1)),
    Bad("nan_unknown_field", raw_job('"colour_grade": NaN'), 422,
        loc=("body", "colour_grade")),
    Bad("nan_estimate", raw_body("/api/v1/credits/estimate", '"music_volume": NaN', job=False),
        422, loc=("body", "music_volume")),
    Bad("nan_tenant_webhook", raw_body("/api/v1/tenants/me/webhook", '"webhook_url": NaN',
                                       job=False), 422, loc=("body", "webhook_url")),
    Bad("lone_surrogate_product_name", raw_job('"cta_text": "Tap \\ud800 now"'), 422,
        loc=("body", "cta_text")),
    Bad("lone_surrogate_video_model", raw_job('"video_model": "\\udfff"'), 422,
        loc=("body", "video_model")),
    Bad("nested_too_deep", raw_job('"voice_settings": ' + "[" * 200 + "]" * 200), 422,
        loc=("body",)),
    Bad("integer_of_5000_digits", raw_job('"seed": ' + "9" * 5000), 422, loc=("body",)),
    # Sizes and URLs.
    Bad("json_body_past_limit", _oversize_job, 413, code="PAYLOAD_TOO_LARGE"),
    Bad("nul_in_path", get(f"{JOBS}/%00"), 400, code="BAD_REQUEST"),
    Bad("nul_in_query", get(f"{JOBS}?status=queued%00"), 400, code="BAD_REQUEST"),
    Bad("signed_url_expires_superscript", signed_file("\u00b2"), 403,
        code="INVALID_SIGNATURE"),
    Bad("signed_url_expires_arabic_indic", signed_file("\u0661\u0667\u0660\u0660"), 403,
        code="INVALID_SIGNATURE"),
    Bad("signed_url_expires_fullwidth", signed_file("\uff11\uff17\uff10\uff10"), 403,
        code="INVALID_SIGNATURE"),
    Bad("signed_url_expires_nan", signed_file("NaN"), 403, code="INVALID_SIGNATURE"),
]


def _money(ctx: Ctx) -> dict[str, Any]:
    """Every account's (balance, reserved), the ledger's and the jobs' row counts, and the
    balance the API answers for the test's account."""
    with session_scope(ctx.settings) as s:
        accounts = {a.id: (a.credit_balance, a.credit_reserved)
                    for a in s.scalars(select(Account))}
        transactions = s.scalar(select(func.count()).select_from(CreditTransaction))
        jobs = s.scalar(select(func.count()).select_from(Job))
    r = ctx.client.get(BALANCE, headers=headers(ctx.key))
    assert r.status_code == 200, r.text
    return {"accounts": accounts, "transactions": transactions, "jobs": jobs, "api": r.json()}


def _assert_shape(case: Bad, r: Any) -> None:
    body = r.json()
    if case.status == 422 and case.code is None:
        detail = body["detail"]
        assert isinstance(detail, list) and detail, body
        for item in detail:
            assert {"type", "loc", "msg"} <= set(item), item
        locs = [tuple(item["loc"][: len(case.loc)]) for item in detail]
        assert case.loc in locs, f"no detail at {case.loc}: {detail}"
        return
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert error["code"] == case.code, error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ctx]:
    """One app and database for the whole corpus: each case measures its own before/after."""
    with isolated_settings(tmp_path_factory.mktemp("bad-requests")) as settings:
        assert not settings.allow_private_urls
        names = (f"bad-{i}" for i in range(1000))

        def make_account(credits: int = 1000) -> tuple[str, str]:
            return create_account(settings, next(names), credits)

        with running_canary() as canary, TestClient(create_app(settings)) as client:
            yield Ctx(client, settings, make_account, canary)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_request_is_refused_without_moving_credits(ctx: Ctx, case: Bad) -> None:
    req = case.build(ctx)
    before = _money(ctx)
    r = ctx.client.request(req.method, req.path,
                           headers=headers(ctx.key) if req.headers is None else req.headers,
                           **req.kwargs)
    assert r.status_code == case.status, r.text
    _assert_shape(case, r)
    assert _money(ctx) == before
    assert ctx.canary.hits == [], "a refused product_image_url was fetched"


def test_corpus_is_large_and_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) >= 30 and len(set(ids)) == len(ids)
    assert {c.status for c in CASES} >= {400, 401, 402, 404, 409, 413, 422}


def test_insufficient_credits_names_required_and_available(ctx: Ctx) -> None:
    req = _insufficient(ctx)
    r = ctx.client.request(req.method, req.path, headers=req.headers, **req.kwargs)
    assert r.status_code == 402, r.text
    details = r.json()["error"]["details"]
    assert details["available"] == 1 and details["required"] > 1


def test_unknown_job_id_of_any_shape_is_404(ctx: Ctx) -> None:
    for job_id in (str(uuid.uuid4()), "job_Xm2nKp7q", "x" * 300):
        r = ctx.client.get(f"{JOBS}/{job_id}", headers=headers(ctx.key))
        assert r.status_code == 404 and r.json()["error"]["code"] == "JOB_NOT_FOUND"


def test_canary_counts_what_reaches_it(ctx: Ctx) -> None:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{ctx.canary.port}/probe.png",
                                timeout=10) as r:
        assert r.read() == png_bytes()
    assert ctx.canary.hits == ["/probe.png"]
    ctx.canary.hits.clear()

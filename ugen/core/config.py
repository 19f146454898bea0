"""The one typed settings object: every knob comes from an environment variable with a default.

Variables are prefixed ``UGEN_`` (for example ``UGEN_DATA_DIR``). Secrets are ``SecretStr`` and
never logged.
"""

from __future__ import annotations

import os
import threading
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "ugen"


class QueueLimits(BaseModel):
    """Limits of one video provider or model, held across all jobs and workers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    concurrency: int | None = Field(default=None, ge=1)
    """Tasks in flight at once (None: the provider default, or no limit for a model)."""
    requests: int | None = Field(default=None, ge=1)
    """Submissions allowed per ``period_s`` (None: no rate limit)."""
    period_s: float = Field(default=60.0, gt=0)


# The values of the per-capability provider settings (``auto`` or an adapter's name).
ScriptProviderName = Literal["auto", "local", "openai", "gemini"]
KeyframeProviderName = Literal["auto", "local", "simulated", "openai", "gemini"]
VideoProviderName = Literal["auto", "local", "simulated", "offline", "vendor", "kling", "veo"]
VoiceProviderName = Literal["auto", "local", "elevenlabs"]
AlignmentProviderName = Literal["auto", "local", "elevenlabs"]
MusicProviderName = Literal["auto", "local"]
QaJudgeName = Literal["auto", "local", "openai", "gemini"]


class Settings(BaseSettings):
    """Runtime configuration of U-Gen (see the settings table in docs/configuration.md)."""

    model_config = SettingsConfigDict(env_prefix="UGEN_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = None
    """Product tables and DBOS system tables. Default: SQLite file ``ugen.sqlite`` in data_dir."""

    executor_id: str | None = None
    """Stable identity of a worker process, so a restarted worker resumes its own jobs."""
    queue_polling_interval_s: float = 0.1
    worker_concurrency: int = 2
    """Jobs one worker process runs at once."""
    image_worker_concurrency: int = 2
    """Keyframe images one worker process generates at once."""
    image_global_concurrency: int | None = None
    """Keyframe images generated at once across all workers (None: no global cap)."""
    video_worker_concurrency: int = 3
    """Video segments one worker process generates at once."""
    video_global_concurrency: int | None = None
    """Render tasks in flight at once per video provider, across all workers (None: no cap)."""
    video_limits: dict[str, QueueLimits] = Field(default_factory=dict)
    """Concurrency and rate limits per video provider (``veo``, ``kling``) or model id
    (``kling3_pro``), as JSON: ``{"kling": {"concurrency": 4, "requests": 20, "period_s":
    60}, "kling3_pro": {"concurrency": 2}}``. A provider entry replaces
    ``video_global_concurrency`` for that provider; a model entry adds a limit of its own."""
    media_worker_concurrency: int = 1
    """FFmpeg-heavy stage work (concat, audio, render) one worker runs at once."""
    generation_schedule: Literal["overlap", "sequential"] = "overlap"
    """``overlap`` starts a segment as soon as its two keyframes passed QA; ``sequential``
    (a baseline for benchmarks) makes all keyframes first, then all segments."""
    review_timeout_s: float = 86400.0
    """How long a job waits for a reviewer's decision on a keyframe (``human_review_max_
    rejections`` > 0); then the job's ``human_review_budget`` decides, as after the last
    allowed rejection."""
    heartbeat_interval_s: float = 5.0
    heartbeat_timeout_s: float = 60.0
    """A worker silent this long is gone; a live worker recovers its jobs."""

    providers: str = "local"
    """The offline keyframes and video that ``auto`` falls back to: ``local`` (real media) or
    ``simulated`` (local wrapped in a seeded latency and fault model, for benchmarks and fault
    tests). ``UGEN_KEYFRAME_PROVIDER``/``UGEN_VIDEO_PROVIDER`` name one per capability."""
    simulated_latency_scale: float = 1.0
    simulated_keyframe_s: float = 0.8
    simulated_segment_s: float = 4.5
    simulated_transient_rate: float = 0.0
    """Share of simulated calls failing with 429/503/timeout (retried with backoff)."""
    simulated_permanent_rate: float = 0.0
    """Share of simulated calls failing for good (the stage fails with the reason)."""
    simulated_policy_rate: float = 0.0
    """Share of simulated calls refused by the content policy."""
    video_poll_interval_s: float = 0.5
    local_video_dir: Path | None = None
    """Where the offline video provider keeps its tasks, with its own copies of their
    keyframes and the rendered segments (default: ``work/video-tasks`` in the data dir). It
    stands in for a vendor's servers: workers on several machines that poll one another's
    tasks point it at one shared directory."""

    # One setting per capability: ``auto`` or the adapter's name (ugen/providers/choice.py
    # decides, and ``ugen doctor`` says why).
    script_provider: ScriptProviderName = "auto"
    """The script agent: ``auto`` OpenAI, else Gemini, by their keys, else ``local``."""
    keyframe_provider: KeyframeProviderName = "auto"
    """Keyframe images: ``auto`` OpenAI, else Gemini, by their keys, else offline (``local``,
    or ``simulated`` under ``UGEN_PROVIDERS=simulated``)."""
    video_provider: VideoProviderName = "auto"
    """Who renders a job's segments: ``auto`` the job's model's vendor (Kling, Veo) when that
    vendor's keys are configured, else offline (``local``, or ``simulated`` under
    ``UGEN_PROVIDERS=simulated``); ``local``/``simulated`` always that; ``offline`` the offline
    adapter; ``vendor`` always the model's vendor (a job fails when its keys are missing);
    ``kling``/``veo`` that vendor for its models (keys required), the others offline."""
    voice_provider: VoiceProviderName = "auto"
    """The persona's voice (speech-to-speech): ``auto`` ElevenLabs when its key is set, else
    ``local`` (the voice's pitch and formants)."""
    alignment_provider: AlignmentProviderName = "auto"
    """Word timings: ``auto`` ElevenLabs forced alignment when its key is set, else ``local``."""
    music_provider: MusicProviderName = "auto"
    """Background music: ``auto`` or ``local`` (the one music adapter)."""
    qa_judge: QaJudgeName = "auto"
    """The QA judges: ``auto`` the pixel checks joined by every vision model with a key
    (keyframes OpenAI then Gemini, segments Gemini then OpenAI); ``local`` the pixel checks
    alone; ``openai``/``gemini`` the pixel checks and that model."""
    vendors: Literal["auto", "offline"] = "auto"
    """Alias kept from before the per-capability settings: ``offline`` makes ``auto`` of the
    script agent, keyframes, voice, word timings and QA judge stay on this machine."""
    video_vendors_file: Path | None = None
    """A TOML replacing ``ugen/catalog/video_vendors.toml`` (model id → vendor model)."""
    vendor_submit_timeout_s: float = Field(default=60.0, gt=0)
    vendor_poll_timeout_s: float = Field(default=20.0, gt=0)
    vendor_download_timeout_s: float = Field(default=300.0, gt=0)
    vendor_max_download_bytes: int = Field(default=1024 * 1024 * 1024, ge=1)
    kling_access_key: SecretStr | None = None
    kling_secret_key: SecretStr | None = None
    kling_base_url: str = "https://api-singapore.klingai.com"
    veo_project: str | None = None
    """Google Cloud project of Vertex AI (Veo); with ``veo_api_key`` unset, credentials come
    from Application Default Credentials (``GOOGLE_APPLICATION_CREDENTIALS``)."""
    veo_location: str = "us-central1"
    veo_api_key: SecretStr | None = None
    """A Vertex AI express-mode API key (used instead of project credentials)."""
    veo_base_url: str | None = None
    """Another endpoint for the Vertex AI API (a regional or private one; tests)."""
    veo_output_gcs_uri: str | None = None
    """``gs://bucket/prefix/`` where Veo writes videos; unset: returned inline as bytes."""

    elevenlabs_api_key: SecretStr | None = None
    """ElevenLabs key (``xi-api-key``) of speech-to-speech and forced alignment."""
    elevenlabs_base_url: str = "https://api.elevenlabs.io"
    elevenlabs_sts_model: str = "eleven_multilingual_sts_v2"
    elevenlabs_voices_file: Path | None = None
    """A TOML replacing ``ugen/catalog/elevenlabs_voices.toml`` (catalog voice → ElevenLabs
    voice id)."""
    elevenlabs_sts_timeout_s: float = Field(default=120.0, gt=0)
    elevenlabs_alignment_timeout_s: float = Field(default=120.0, gt=0)

    openai_api_key: SecretStr | None = None
    """OpenAI key of the script agent, keyframe image edits and the keyframe QA judge."""
    openai_base_url: str = "https://api.openai.com/v1"
    openai_script_model: str = "gpt-6-luna"
    openai_image_model: str = "gpt-image-2.6-sunburst"
    openai_image_quality: Literal["low", "medium", "high", "auto"] = "high"
    openai_judge_model: str = "gpt-6-luna"
    """Model defaults were checked against the vendors' model and deprecation pages on
    2026-12-05 (docs/decisions.md, "Vendor models as of 2026-12-05")."""
    openai_script_timeout_s: float = Field(default=120.0, gt=0)
    openai_image_timeout_s: float = Field(default=240.0, gt=0)
    openai_judge_timeout_s: float = Field(default=60.0, gt=0)

    gemini_api_key: SecretStr | None = None
    """Gemini API key of the Gemini script agent, keyframe images and QA judge."""
    gemini_base_url: str | None = None
    """Another endpoint for the Gemini API (a proxy; tests). Unset: Google's."""
    gemini_script_model: str = "gemini-3.8-flash"
    gemini_image_model: str = "gemini-nano-banana-2.1"
    gemini_judge_model: str = "gemini-3.8-flash"
    gemini_script_timeout_s: float = Field(default=120.0, gt=0)
    gemini_image_timeout_s: float = Field(default=180.0, gt=0)
    gemini_judge_timeout_s: float = Field(default=60.0, gt=0)
    script_output_attempts: int = Field(default=3, ge=1)
    """Tries of a vendor script agent whose answer does not fit the script schema."""

    default_account: str = "local"
    default_account_credits: int = 1000
    """Credits granted (as ``bonus``) when the CLI's default account is first created."""
    pricing_file: Path | None = None
    """A TOML file replacing the packaged credit prices (``ugen/catalog/pricing.toml``)."""

    max_image_megapixels: float = 50.0
    min_image_side: int = 256
    max_image_bytes: int = 50 * 1024 * 1024
    max_script_chars: int = 3000
    max_music_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    """Largest custom music upload (``POST /music/custom``; documented: 20 MB)."""
    music_min_duration_s: float = Field(default=1.0, gt=0)
    music_max_duration_s: float = Field(default=600.0, gt=0)
    """The length a custom music track must have (decoded, measured with ffprobe)."""
    music_preview_s: float = Field(default=15.0, gt=0, le=60)
    """Length of a catalog track's preview clip (M4A)."""

    ffmpeg_path: str = "ffmpeg"
    ffprobe_path: str = "ffprobe"
    ffmpeg_threads: int = 0
    """0 lets FFmpeg choose."""
    x264_preset: str = "veryfast"
    x264_crf: int = 20
    ffmpeg_timeout_s: float = 900.0

    c2pa_cert_file: Path | None = None
    """The operator's certificate chain (PEM: the signing certificate first, then its
    intermediates) that signs the Content Credentials (C2PA manifest) of every final video,
    with ``c2pa_key_file``. Unset: a certificate U-Gen makes once for this installation
    (``c2pa/`` in data_dir), which readers show as untrusted."""
    c2pa_key_file: Path | None = None
    """The private key (PEM, unencrypted) of ``c2pa_cert_file``; its type sets the algorithm:
    EC P-256/P-384/P-521 (ES256/ES384/ES512), RSA (PS256) or Ed25519."""
    c2pa_tsa_url: str | None = None
    """An RFC 3161 time-stamp authority that countersigns each manifest, so it stays valid
    after the certificate expires; unset: no time stamp (works offline)."""

    allow_private_urls: bool = False
    """For local development and tests only: accept ``http://`` webhook URLs and hosts that
    resolve to loopback, private, link-local or metadata addresses."""
    webhook_backoff_s: float = 1.0
    """Wait before the first webhook retry; it doubles after every failed attempt."""
    webhook_max_attempts: int = 8
    """Attempts of one webhook delivery (the first one included) before it is abandoned."""
    webhook_timeout_s: float = 10.0
    """A receiver must answer 2xx within this time."""
    webhook_worker_concurrency: int = 8
    """Webhook deliveries one worker process sends at once."""

    storage_url: str | None = None
    """Where artifacts are stored: a local directory (default: ``artifacts`` in data_dir) or
    ``s3://bucket/prefix`` for any S3-compatible store. S3 credentials come only from boto3's
    standard sources (``AWS_*`` variables, profiles, instance roles)."""
    s3_endpoint_url: str | None = None
    """Endpoint of an S3-compatible server (MinIO, SeaweedFS, …); set: path-style addressing.
    Unset: AWS S3."""
    s3_region: str | None = None
    """Region of the bucket (unset: boto3's default region, else ``us-east-1``)."""
    cache_max_bytes: int = Field(default=10 * 1024**3, ge=0)
    """Bound of a worker's cache of S3 artifacts (``data_dir/cache/artifacts``); the least
    recently used files go first, never one used in the last 10 minutes. 0: unbounded."""

    url_signing_secret: SecretStr | None = None
    """HMAC key of the expiring download URLs; unset: a random key kept in data_dir."""
    download_url_ttl_s: int = Field(default=86400, ge=1)
    """How long a signed ``final_video_url`` / ``thumbnail_url`` stays valid."""
    events_poll_interval_s: float = Field(default=0.5, gt=0)
    """How often a job's event stream (SSE) looks for new events."""
    events_keepalive_s: float = Field(default=15.0, gt=0)
    """Idle time after which the event stream sends a keep-alive comment."""
    events_max_stream_s: float = Field(default=600.0, gt=0)
    """An event stream is closed after this long; clients resume with Last-Event-ID."""
    image_fetch_timeout_s: float = Field(default=20.0, gt=0)
    """Total time allowed to fetch a remote ``product_image_url``."""
    image_fetch_max_redirects: int = Field(default=5, ge=0)
    max_concurrent_jobs: int = Field(default=5, ge=0)
    """Queued plus running jobs one account may have; 0: no limit (an account's own wins)."""
    max_daily_jobs: int = Field(default=200, ge=0)
    """Jobs one account may create in any rolling 24 h; 0: no limit (an account's own wins)."""
    variant_max_combinations: int = Field(default=24, ge=1, le=200)
    """Most jobs one variant set may make (hooks x bodies x CTAs x aspect ratios)."""
    variant_share_wait_s: float = Field(default=1800.0, gt=0)
    """How long a job of a variant set waits for a keyframe or segment another job of the
    set is making before it makes (and pays for) the item itself."""
    max_json_body_bytes: int = Field(default=256 * 1024, ge=1024)
    """Largest JSON request body; a longer one is refused (413) while it streams in."""
    auth_failure_limit: int = Field(default=20, ge=0)
    """Failed API-key checks one client address may make per ``auth_failure_window_s``
    before it is answered 429 (0: no limit)."""
    auth_failure_window_s: float = Field(default=60.0, gt=0)
    secret_key: SecretStr | None = None
    """Key that encrypts webhook signing secrets at rest; unset: a random key kept in
    data_dir (``secret.key``, 0600)."""
    web_session_ttl_s: int = Field(default=7 * 86400, ge=60)
    """How long a dashboard sign-in lasts before the user signs in again."""
    login_link_ttl_s: int = Field(default=900, ge=10)
    """How long a one-time dashboard sign-in link (``ugen serve``, ``ugen admin
    login-link``) stays usable."""

    log_format: Literal["text", "json"] = "text"
    """``json``: every log record is one JSON object per line (with ``job_id`` on the records
    about a job), for log shippers; ``text``: plain lines for people."""
    shutdown_grace_s: float = Field(default=30.0, ge=0)
    """On SIGTERM/SIGINT a worker stops taking work and gives its running jobs this long to
    reach their next checkpoint, then exits; what is unfinished resumes on another worker."""
    readiness_timeout_s: float = Field(default=2.0, gt=0)
    """How long ``/readyz`` waits for the database and the artifact store to answer."""

    # Social posting (``ugen.social``): one OAuth client per platform; a platform without a
    # client id cannot be connected.
    social_redirect_base_url: str = "http://127.0.0.1:8000"
    """Public base URL of this API: the OAuth callback is
    ``{base}/api/v1/social/{platform}/callback`` and must be registered with the platform."""
    social_state_ttl_s: int = Field(default=600, ge=30)
    """How long a connect attempt (its ``state`` and PKCE verifier) stays usable."""
    social_refresh_margin_s: int = Field(default=300, ge=0)
    """An access token this close to expiry is refreshed before it is used."""
    social_chunk_bytes: int = Field(default=8 * 1024 * 1024, ge=256 * 1024)
    """Bytes per upload request (rounded down to a multiple of 256 KiB for YouTube)."""
    social_worker_concurrency: int = 2
    """Posts one worker process uploads at once."""
    social_max_attempts: int = Field(default=5, ge=1)
    """Tries of one platform call on a transient error (5xx, timeout, rate limit)."""
    social_backoff_s: float = Field(default=1.0, ge=0)
    """First wait before a retried platform call; it doubles each time."""
    youtube_client_id: str | None = None
    youtube_client_secret: SecretStr | None = None
    youtube_auth_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    youtube_token_url: str = "https://oauth2.googleapis.com/token"
    youtube_revoke_url: str = "https://oauth2.googleapis.com/revoke"
    youtube_api_base_url: str = "https://www.googleapis.com"
    """Host of both ``/youtube/v3`` and ``/upload/youtube/v3`` (tests point it at a fake)."""
    social_poll_interval_s: float = Field(default=5.0, gt=0)
    """Wait between status polls of a post the platform is still processing (TikTok allows
    30 ``status/fetch`` calls a minute per user)."""
    social_poll_timeout_s: float = Field(default=900.0, gt=0)
    """How long a post may stay in processing before its step gives up (and is retried)."""
    tiktok_client_key: str | None = None
    tiktok_client_secret: SecretStr | None = None
    tiktok_audited: bool = False
    """Whether TikTok has audited this app; until then every post is private (``SELF_ONLY``)
    whatever was asked, and the post carries a notice saying so."""
    tiktok_auth_url: str = "https://www.tiktok.com/v2/auth/authorize/"
    tiktok_api_base_url: str = "https://open.tiktokapis.com"
    """Host of ``/v2/oauth/token/``, ``/v2/oauth/revoke/`` and ``/v2/post/publish/...``."""
    tiktok_rate_limit_wait_s: float = Field(default=10.0, ge=0)
    """Wait after TikTok's ``rate_limit_exceeded`` (it sends no ``Retry-After``; its windows
    are one minute, ``video/init`` allows 6 calls a minute per user)."""
    social_media_base_url: str | None = None
    """Public base URL platforms that pull the video (Instagram) fetch the API's signed
    ``/files`` URL from; default ``social_redirect_base_url``. Unused when the artifact store
    presigns its own URLs (S3)."""
    instagram_client_id: str | None = None
    """Instagram app id (Instagram API with Instagram Login, "Business Login")."""
    instagram_client_secret: SecretStr | None = None
    instagram_auth_url: str = "https://www.instagram.com/oauth/authorize"
    instagram_token_url: str = "https://api.instagram.com/oauth/access_token"
    instagram_graph_base_url: str = "https://graph.instagram.com"
    instagram_api_version: str = "v23.0"

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'ugen.sqlite'}"

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"


_cache_lock = threading.Lock()
_cached: tuple[tuple[tuple[str, str], ...], Settings] | None = None


def get_settings() -> Settings:
    """The settings of the current environment (call where needed, not at import).

    Parsing a hundred fields costs milliseconds, and steps ask for settings often, so the
    parsed object is kept until a ``UGEN_*`` variable changes, and each call gets a copy.
    """
    global _cached
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.upper().startswith("UGEN_")))
    found = _cached
    if found is None or found[0] != env:
        found = (env, Settings())
        with _cache_lock:
            _cached = found
    # A copy: a caller that changes its settings object changes no one else's.
    return found[1].model_copy()

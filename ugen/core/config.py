"""The one typed settings object: every knob comes from an environment variable with a default.

Variables are prefixed ``UGEN_`` (for example ``UGEN_DATA_DIR``). Secrets are ``SecretStr`` and
never logged.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "ugen"


class Settings(BaseSettings):
    """Runtime configuration of U-Gen (see the README's configuration table)."""

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
    """Video segments generated at once across all workers (None: no global cap)."""
    media_worker_concurrency: int = 1
    """FFmpeg-heavy stage work (concat, audio, render) one worker runs at once."""
    generation_schedule: Literal["overlap", "sequential"] = "overlap"
    """``overlap`` starts a segment as soon as its two keyframes passed QA; ``sequential``
    (a baseline for benchmarks) makes all keyframes first, then all segments."""
    heartbeat_interval_s: float = 5.0
    heartbeat_timeout_s: float = 60.0
    """A worker silent this long is gone; a live worker recovers its jobs."""

    providers: str = "local"
    """Provider set: ``local`` (offline, real media) or ``simulated`` (local wrapped in a
    seeded latency model, for benchmarks and fault tests)."""
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

    default_account: str = "local"
    default_account_credits: int = 1000
    """Credits granted (as ``bonus``) when the CLI's default account is first created."""

    max_image_megapixels: float = 50.0
    min_image_side: int = 256
    max_image_bytes: int = 50 * 1024 * 1024
    max_script_chars: int = 3000

    ffmpeg_path: str = "ffmpeg"
    ffprobe_path: str = "ffprobe"
    ffmpeg_threads: int = 0
    """0 lets FFmpeg choose."""
    x264_preset: str = "veryfast"
    x264_crf: int = 20
    ffmpeg_timeout_s: float = 900.0

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


def get_settings() -> Settings:
    """Build settings from the current environment (cheap; call where needed, not at import)."""
    return Settings()

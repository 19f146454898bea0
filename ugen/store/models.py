"""The product's own tables (SQLAlchemy 2): accounts, jobs, stages, events, credits, calls.

They live on the same database as DBOS's system tables (SQLite file or PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        datetime: DateTime(timezone=True),
    }


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    credit_balance: Mapped[int] = mapped_column(BigInteger, default=0)
    credit_reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    max_concurrent_jobs: Mapped[int | None] = mapped_column(Integer)
    """This account's own limit of queued plus running jobs (None: the setting; 0: none)."""
    max_daily_jobs: Mapped[int | None] = mapped_column(Integer)
    """This account's own limit of jobs created per rolling 24 h (None: the setting)."""


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    current_stage: Mapped[str | None] = mapped_column(String(16))
    progress_percent: Mapped[int] = mapped_column(Integer, default=0)
    run_number: Mapped[int] = mapped_column(Integer, default=1)
    workflow_id: Mapped[str | None] = mapped_column(String(80))
    params: Mapped[dict[str, Any]] = mapped_column()
    estimate: Mapped[dict[str, Any]] = mapped_column()
    credits_reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_consumed: Mapped[int] = mapped_column(BigInteger, default=0)
    error_stage: Mapped[str | None] = mapped_column(String(16))
    error_message: Mapped[str | None] = mapped_column(Text)
    final_video: Mapped[str | None] = mapped_column(String(500))
    thumbnail: Mapped[str | None] = mapped_column(String(500))
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    """The client's ``idempotency_key`` of ``POST /jobs`` (unique per account)."""
    request_hash: Mapped[str | None] = mapped_column(String(64))
    """sha256 of the create request's body, to tell a replay from a conflicting reuse."""

    __table_args__ = (
        Index("ux_jobs_account_idempotency", "account_id", "idempotency_key", unique=True),
        Index("ix_jobs_account_id_created_at", "account_id", "created_at"),
    )


class JobStage(Base):
    """One stage of one job: its latest run's status, timings, outputs and error."""

    __tablename__ = "job_stages"
    __table_args__ = (UniqueConstraint("job_id", "stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    run_number: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    outputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    credits_used: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    error_detail: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    """The failure's category, item and message (``ugen.pipeline.errors.StageError``)."""


class JobEvent(Base):
    """Append-only event log of a job (stage changes, progress, items, failures)."""

    __tablename__ = "job_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    run_number: Mapped[int] = mapped_column(Integer, default=1)
    type: Mapped[str] = mapped_column(String(40))
    stage: Mapped[str | None] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_job_events_job_id_id", "job_id", "id"),)


class JobItem(Base):
    """One attempt at one keyframe or segment of a job, with its QA verdict.

    ``inputs`` fingerprints what the item was made from (the script, the anchor, its two
    keyframes); ``sha256`` is the artifact's. A later run of the job reuses an attempt whose
    inputs are the same, whose file is unchanged and whose score passes the job's QA mode
    then, instead of paying for the item again.
    """

    __tablename__ = "job_items"
    __table_args__ = (
        UniqueConstraint("job_id", "item", "run_number", "attempt", name="ux_job_items_attempt"),
        Index("ix_job_items_job_id_item", "job_id", "item"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(16))
    item: Mapped[str] = mapped_column(String(16))
    """``kf_00`` (the anchor), ``kf_01``..., ``seg_00``..."""
    run_number: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    artifact: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column()
    threshold: Mapped[float] = mapped_column()
    passed: Mapped[bool] = mapped_column(Boolean)
    verdict: Mapped[dict[str, Any]] = mapped_column()
    reused_from: Mapped[int | None] = mapped_column(Integer)
    """The ``id`` of the earlier attempt this row reuses (no new call was made)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditTransaction(Base):
    """Ledger line. ``balance_*`` is the owned balance, ``reserved_after`` the held amount."""

    __tablename__ = "credit_transactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    job_id: Mapped[str | None] = mapped_column(String(36), index=True)
    type: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_before: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    reserved_after: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(300), default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProviderCall(Base):
    """One billable provider call: what was asked, of whom, and its units."""

    __tablename__ = "provider_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(36), index=True)
    run_number: Mapped[int] = mapped_column(Integer, default=1)
    capability: Mapped[str] = mapped_column(String(24))
    item: Mapped[str] = mapped_column(String(40))
    provider: Mapped[str] = mapped_column(String(40))
    units: Mapped[float] = mapped_column(default=0.0)
    unit: Mapped[str] = mapped_column(String(16), default="call")
    request_id: Mapped[str | None] = mapped_column(String(200), default=None)
    """The vendor's id of the call (task id, operation name), when it has one."""
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    """A step that runs again after a crash records its call once."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Worker(Base):
    """A worker process's heartbeat; a silent worker's jobs are recovered by a live one."""

    __tablename__ = "workers"

    executor_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(200), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    queues: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    recovered_by: Mapped[str | None] = mapped_column(String(120))


class ApiKey(Base):
    """An API key of an account; only its sha256 is stored, the key is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    key_prefix: Mapped[str] = mapped_column(String(40))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class WebhookConfig(Base):
    """An account's webhook: one URL per account, and its signing secret (never returned)."""

    __tablename__ = "webhook_configs"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    webhook_url: Mapped[str] = mapped_column(String(2000))
    webhook_secret: Mapped[str | None] = mapped_column(String(500))
    """Encrypted at rest (``enc:v1:...``, see ``ugen.webhooks.secrets``); decrypted to sign."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookDelivery(Base):
    """One attempt of one webhook delivery (``delivery_id`` is the ``webhook-id``).

    A scheduled retry is a ``pending`` row until it is attempted.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("delivery_id", "attempt", name="ux_webhook_deliveries_attempt"),
        Index("ix_webhook_deliveries_account_id_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(String(36), index=True)
    account_id: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[str] = mapped_column(String(36), index=True)
    event: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(String(2000))
    payload: Mapped[dict[str, Any]] = mapped_column()
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column()


class SocialConnection(Base):
    """An account's connection to one social platform; tokens sealed (``ugen.social.tokens``)."""

    __tablename__ = "social_connections"
    __table_args__ = (
        UniqueConstraint("account_id", "platform", name="ux_social_connections_platform"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_user_id: Mapped[str | None] = mapped_column(String(200))
    display_name: Mapped[str | None] = mapped_column(String(200))
    scopes: Mapped[str] = mapped_column(Text, default="")
    """The scopes the user granted, space separated."""
    access_token: Mapped[str] = mapped_column(Text)
    """Encrypted at rest (``enc:v1:...``)."""
    refresh_token: Mapped[str | None] = mapped_column(Text)
    """Encrypted at rest (``enc:v1:...``)."""
    expires_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="active")
    """``active``, or ``revoked`` once the platform refused its tokens for good."""
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OAuthState(Base):
    """One connect attempt: single use, expiring; the state itself is stored hashed."""

    __tablename__ = "oauth_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    platform: Mapped[str] = mapped_column(String(16))
    code_verifier: Mapped[str | None] = mapped_column(Text)
    """The PKCE verifier, encrypted at rest; None where the platform has no PKCE."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()


class SocialPost(Base):
    """One request to post a job's video to a platform, and how it ended."""

    __tablename__ = "social_posts"
    __table_args__ = (
        Index("ux_social_posts_idempotency", "account_id", "idempotency_key", unique=True),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    job_id: Mapped[str] = mapped_column(String(36), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    """``queued``, ``uploading``, ``published`` or ``failed``."""
    request: Mapped[dict[str, Any]] = mapped_column()
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    workflow_id: Mapped[str] = mapped_column(String(80))
    platform_post_id: Mapped[str | None] = mapped_column(String(200))
    platform_url: Mapped[str | None] = mapped_column(String(500))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    notices: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """What the user should know that is not an error (a Short, a forced privacy)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column()


class Template(Base):
    """A reusable job config of one account: only the fields it sets, by their Jobs names."""

    __tablename__ = "templates"
    __table_args__ = (
        Index("ix_templates_account_order", "account_id", "is_default", "use_count",
              "updated_at"),
        # At most one default per account, whatever the requests race to do.
        Index("ux_templates_default", "account_id", unique=True,
              sqlite_where=text("is_default"), postgresql_where=text("is_default")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column()
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

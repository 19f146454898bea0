"""The ledger: estimate by component, reservation guards, settlement, concurrency."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from ugen import catalog
from ugen.core.config import Settings, get_settings
from ugen.core.estimate import estimate
from ugen.core.schemas import JobOptions
from ugen.pipeline.prepare import prepare_job
from ugen.store import ledger
from ugen.store.db import session_scope
from ugen.store.models import Account, CreditTransaction


def assert_ledger_balances(settings: Settings, account_id: str) -> None:
    """Every line chains from the one before and the account equals the sum of its lines."""
    with session_scope(settings) as s:
        account = s.get(Account, account_id)
        rows = s.scalars(select(CreditTransaction).where(
            CreditTransaction.account_id == account_id).order_by(CreditTransaction.id)).all()
    assert account is not None
    balance = reserved = 0
    for row in rows:
        assert row.balance_before == balance
        if row.type in ("purchase", "bonus", "refund"):
            balance += row.amount
        elif row.type == "consume":
            balance += row.amount
            reserved += row.amount
        elif row.type == "reserve" or row.type == "release":
            reserved -= row.amount
        assert row.balance_after == balance
        assert row.reserved_after == reserved
        assert balance - reserved >= 0
    assert (account.credit_balance, account.credit_reserved) == (balance, reserved)


def test_estimate_lists_documented_components() -> None:
    opts = JobOptions(product_name="x", video_model="kling3_std", segment_count=3,
                      segment_duration=5)
    cost = estimate(opts)
    parts = {(line.component, line.stage): line.credits for line in cost.lines}
    assert parts[("video_model", "generation")] == 3 * 5 * 5  # per second
    assert parts[("keyframes", "init")] == 8
    assert parts[("keyframes", "generation")] == 3 * 8  # N+1 keyframes in all
    assert parts[("voice_over", "audio")] == 15
    assert parts[("music", "audio")] == 15
    assert parts[("post_processing", "complete")] == 10
    assert parts[("qa_retry_buffer", "generation")] > 0
    assert cost.total == sum(parts.values())
    assert cost.from_stage("audio") == 15 + 15 + 10
    veo = estimate(JobOptions(product_name="x", segment_count=2, music_enabled=False,
                              custom_caption_options={"font_size": 60}))
    vparts = {line.component: line.credits for line in veo.lines}
    assert vparts["video_model"] == 2 * 40  # flat per segment
    assert "music" not in vparts
    assert vparts["custom_captions"] == 20


def test_estimate_prices_from_the_settings_pricing_file(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    opts = JobOptions(product_name="x", video_model="kling3_std", segment_count=3,
                      segment_duration=5)
    packaged = (Path(catalog.__file__).parent / "pricing.toml").read_text()
    custom = tmp_path / "prices.toml"
    custom.write_text(packaged.replace("music = 15", "music = 40"))
    monkeypatch.setenv("UGEN_PRICING_FILE", str(custom))
    assert get_settings().pricing_file == custom
    parts = {line.component: line.credits for line in estimate(opts).lines}
    assert parts["music"] == 40 and parts["voice_over"] == 15
    monkeypatch.delenv("UGEN_PRICING_FILE")
    assert {line.component: line.credits for line in estimate(opts).lines}["music"] == 15
    # a file missing a price is refused, not read as zero
    broken = tmp_path / "broken.toml"
    broken.write_text(packaged.replace("music = 15\n", ""))
    monkeypatch.setenv("UGEN_PRICING_FILE", str(broken))
    with pytest.raises(ValidationError, match="music"):
        estimate(opts)


def test_reserve_refuses_when_balance_short(settings: Settings, product_image: Path) -> None:
    with session_scope(settings) as s:
        ledger.ensure_account(s, "poor", "poor", initial_credits=50)
    opts = JobOptions(product_name="x", segment_count=3)
    with pytest.raises(ledger.InsufficientCreditsError) as info:
        prepare_job(settings, account_id="poor", options=opts, image=product_image)
    assert info.value.required == estimate(opts).total
    assert info.value.available == 50
    with session_scope(settings) as s:
        assert ledger.balance(s, "poor").available_credits == 50
    assert_ledger_balances(settings, "poor")


def test_settle_is_idempotent_and_balances(settings: Settings) -> None:
    with session_scope(settings) as s:
        ledger.ensure_account(s, "a", "a", initial_credits=100)
        ledger.reserve(s, "a", "job1", 60, key="job1:1:reserve")
        ledger.reserve(s, "a", "job1", 60, key="job1:1:reserve")  # a repeated step
        assert ledger.balance(s, "a").available_credits == 40
        ledger.settle(s, "a", "job1", reserved=60, used=25, key="job1:1:settle")
        ledger.settle(s, "a", "job1", reserved=60, used=25, key="job1:1:settle")
        bal = ledger.balance(s, "a")
    assert (bal.credit_balance, bal.credit_reserved) == (75, 0)
    assert_ledger_balances(settings, "a")


def test_concurrent_reservations_never_overdraw(settings: Settings) -> None:
    with session_scope(settings) as s:
        ledger.ensure_account(s, "c", "c", initial_credits=100)
    accepted: list[int] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        try:
            with session_scope(settings) as s:
                ledger.reserve(s, "c", f"job{i}", 10, key=f"job{i}:reserve")
            with lock:
                accepted.append(i)
        except ledger.InsufficientCreditsError:
            pass

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(accepted) == 10
    with session_scope(settings) as s:
        assert ledger.balance(s, "c").available_credits == 0
    assert_ledger_balances(settings, "c")

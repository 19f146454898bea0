"""What every stage step needs: settings, the job's options, artifacts, providers, state."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ugen.core.config import Settings, get_settings
from ugen.core.schemas import JobOptions, options_from_params
from ugen.core.types import STAGE_WEIGHTS, StageName, progress_at_stage_start
from ugen.pipeline.errors import JobCancelledError
from ugen.pipeline.outputs import OutputT, parse_output
from ugen.pipeline.workfiles import run_work_dir
from ugen.providers.base import UsageLedger
from ugen.providers.registry import ProviderSet, build_providers
from ugen.qa.base import threshold_for
from ugen.store import jobs as job_store
from ugen.store.artifacts import ArtifactKey, ArtifactStore, artifact_store
from ugen.store.db import session_scope


@dataclass
class JobContext:
    """A job seen from inside one run of its workflow."""

    job_id: str
    run_number: int

    @cached_property
    def settings(self) -> Settings:
        return get_settings()

    @cached_property
    def options(self) -> JobOptions:
        with session_scope(self.settings) as s:
            job = job_store.get_job(s, self.job_id)
            if job is None:
                raise KeyError(self.job_id)
            return options_from_params(job.params)

    @cached_property
    def store(self) -> ArtifactStore:
        return artifact_store(self.settings)

    @cached_property
    def providers(self) -> ProviderSet:
        return build_providers(self.settings)

    def key(self, name: str) -> ArtifactKey:
        return self.store.key(self.job_id, name)

    def path(self, key: ArtifactKey) -> Path:
        return self.store.path(key)

    def output(self, model: type[OutputT]) -> OutputT:
        """What a finished stage made (possibly in an earlier run), as its typed model."""
        with session_scope(self.settings) as s:
            data = dict(job_store.get_stage(s, self.job_id, model.stage).outputs)
        return parse_output(model, data, threshold=threshold_for(self.options.qai_mode),
                            path_of=lambda key: self.path(ArtifactKey(key)))

    def work_dir(self, name: str) -> Path:
        # Scratch of this run; removed when a stage completes (ugen.pipeline.workfiles).
        path = run_work_dir(self.settings, self.job_id, self.run_number) / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def record_call(self, capability: str, item: str, *, units: float = 1.0,
                    unit: str = "call", provider: str | None = None,
                    request_id: str | None = None, dedupe: str | None = None) -> None:
        """Record a billable call against the job (once per ``dedupe`` key and run)."""
        key = f"{self.job_id}:{self.run_number}:{capability}:{dedupe}" if dedupe else None
        with session_scope(self.settings) as s:
            job_store.record_call(s, job_id=self.job_id, run_number=self.run_number,
                                  capability=capability, item=item,
                                  provider=provider or self.providers.name, units=units,
                                  unit=unit, request_id=request_id, dedupe_key=key)

    def record_usage(self, capability: str, item: str, provider: object, key: Path | str,
                     *, units: float = 1.0, unit: str = "call") -> None:
        """Record what a provider's call billed: a vendor adapter's own usage for ``key``
        (tokens, images, seconds, with the vendor's name), else ``units`` of ``unit``."""
        if not self.record_billed(capability, item, provider, key):
            self.record_call(capability, item, units=units, unit=unit)

    def record_billed(self, capability: str, item: str, provider: object,
                      key: Path | str) -> bool:
        """Record what a vendor adapter's own usage ledger holds for ``key``, if anything
        (providers that bill nothing, like the pixel QA checks, keep no ledger)."""
        ledger = getattr(provider, "usage", None)
        found = ledger.take(key) if isinstance(ledger, UsageLedger) else ()
        for usage in found:
            self.record_call(capability, item, units=usage.units, unit=usage.unit,
                             provider=usage.provider)
        return bool(found)

    def event(self, type_: str, *, stage: StageName | None = None, message: str = "",
              data: dict[str, Any] | None = None, dedupe: str | None = None) -> None:
        key = f"{self.job_id}:{self.run_number}:{dedupe}" if dedupe else None
        with session_scope(self.settings) as s:
            job_store.add_event(s, self.job_id, type_, run_number=self.run_number, stage=stage,
                                message=message, data=data, dedupe_key=key)

    def progress_within(self, stage: StageName, fraction: float) -> None:
        """Report progress inside a stage (0..1 of that stage's share)."""
        start = progress_at_stage_start(stage)
        percent = start + int(STAGE_WEIGHTS[stage] * max(0.0, min(1.0, fraction)))
        with session_scope(self.settings) as s:
            job_store.raise_progress(s, self.job_id, min(percent, 99))

    def check_not_cancelled(self) -> None:
        with session_scope(self.settings) as s:
            job = job_store.get_job(s, self.job_id)
            if job is None or job.cancel_requested or job.status == "cancelled":
                raise JobCancelledError(self.job_id)

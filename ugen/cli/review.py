"""``ugen review``: a job's keyframes that await a reviewer, and the reviewer's decisions
(a job created with ``human_review_max_rejections`` > 0 waits for them)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ugen import service
from ugen.cli._app import app, console, fail, fitted_table
from ugen.core.config import get_settings
from ugen.service import review

JobArg = Annotated[str, typer.Argument(help="The job id.")]


def _decisions(approve: list[int], reject: list[str]) -> list[review.ReviewDecision]:
    made = [review.ReviewDecision(keyframe=k, approved=True) for k in approve]
    for spec in reject:
        number, sep, reason = spec.partition(":")
        if not sep or not number.strip().isdigit() or not reason.strip():
            fail(f"--reject takes KEYFRAME:REASON (a reason is required), not {spec!r}", 2)
        made.append(review.ReviewDecision(keyframe=int(number), approved=False,
                                          reason=reason.strip()))
    return made


@app.command("review")
def review_job(
    job: JobArg,
    approve: Annotated[list[int] | None, typer.Option(
        "--approve", help="A pending keyframe to approve (repeat the option).")] = None,
    reject: Annotated[list[str] | None, typer.Option(
        "--reject", help="KEYFRAME:REASON, a pending keyframe to make again with the reason "
                         "in its prompt (repeat the option).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show what a job awaits review on; with --approve / --reject, decide (all or none)."""
    settings = get_settings()
    decisions = _decisions(approve or [], reject or [])
    try:
        state = (review.submit_review(settings, job, decisions) if decisions
                 else review.review_state(settings, job))
    except service.JobNotFoundError:
        fail(f"no job {job}")
    except review.ReviewStateError as err:
        fail(str(err))
    if as_json:
        print(json.dumps({"job_id": state.job_id, "status": state.status,
                          "pending": [p.keyframe for p in state.pending],
                          "decided": [{"keyframe": d.keyframe, "round": d.round,
                                       "decision": d.decision, "reason": d.reason}
                                      for d in state.decided]}, indent=2))
        return
    if not state.pending:
        console.print(f"job {job} is {state.status}: no keyframe awaits review")
    else:
        table = fitted_table(("keyframe", 9), ("round", 6), ("QA", 5), ("image", 0))
        for p in state.pending:
            table.add_row(str(p.keyframe), str(p.round), f"{p.qa_score:.2f}", p.image_url)
        console.print(table)
        console.print(f"decide with `ugen review {job} --approve N` or "
                      f"`--reject N:REASON` (at most {state.max_rejections} rejections a "
                      f"keyframe; then {state.budget})")

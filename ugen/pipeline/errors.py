"""Why a stage failed, in words a user can act on: the item that could not be made, why, and
a category a program can act on.

Errors::

    StageItemError        an item of a stage (the script, a keyframe, a segment, the voice
    │                     track...) could not be made; ``item``, ``reason``, ``category``
    └── QaRejectedError   an item failed QA on every allowed attempt (``qa_categories``)
    JobCancelledError     the job was cancelled while it ran (not a failure)

:class:`StageError` is what the stage's record keeps of a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ugen.media.errors import MediaError
from ugen.providers.base import (
    ContentPolicyError,
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
)

ErrorCategory = Literal["QA_REJECTED", "CONTENT_POLICY", "PROVIDER_ERROR",
                        "PROVIDER_UNAVAILABLE", "MEDIA_ERROR", "CANCELLED", "INTERNAL"]


class StageError(BaseModel):
    """A stage's failure as its record keeps it."""

    model_config = ConfigDict(frozen=True)

    category: ErrorCategory
    item: str | None
    message: str
    """``"<item>: <reason>"``, as the job's ``error_message`` says after the stage's name."""
    qa_categories: list[str] = Field(default_factory=list,
                                     description="The QA fail categories of a rejection.")


class JobCancelledError(Exception):
    """The job was cancelled while it ran."""


class StageItemError(Exception):
    """An item of a stage could not be made."""

    def __init__(self, item: str, reason: str, category: ErrorCategory = "INTERNAL",
                 qa_categories: tuple[str, ...] = ()) -> None:
        # Every attribute is an argument: DBOS keeps a step's error by pickling it.
        super().__init__(item, reason, category, qa_categories)
        self.item = item
        self.reason = reason
        self.category: ErrorCategory = category
        self.qa_categories = qa_categories

    def __str__(self) -> str:
        return f"{self.item}: {self.reason}"


class QaRejectedError(StageItemError):
    """An item failed QA on every allowed attempt."""

    def __init__(self, item: str, reason: str, category: ErrorCategory = "QA_REJECTED",
                 qa_categories: tuple[str, ...] = ()) -> None:
        super().__init__(item, reason, category, qa_categories)


# Provider and media errors named for users and programs, most specific first.
_KINDS: tuple[tuple[type[Exception], str, ErrorCategory], ...] = (
    (ContentPolicyError, "refused by the provider's content policy", "CONTENT_POLICY"),
    (TransientProviderError, "the provider stayed unavailable after retries",
     "PROVIDER_UNAVAILABLE"),
    (PermanentProviderError, "the provider could not make it", "PROVIDER_ERROR"),
    (ProviderError, "the provider failed", "PROVIDER_ERROR"),
    (MediaError, "FFmpeg could not process it", "MEDIA_ERROR"),
)


def reason_of(error: BaseException) -> str:
    """One line saying why, without tracebacks or internal names where a kind is known."""
    if isinstance(error, StageItemError):
        return str(error)
    text = " ".join(str(error).split()) or type(error).__name__
    for kind, words, _ in _KINDS:
        if isinstance(error, kind):
            return f"{words}: {text}"
    return f"{type(error).__name__}: {text}"


def category_of(error: BaseException) -> ErrorCategory:
    if isinstance(error, StageItemError):
        return error.category
    return next((category for kind, _, category in _KINDS if isinstance(error, kind)),
                "INTERNAL")


def stage_error(item: str, error: BaseException) -> StageError:
    """What a stage's record keeps of ``error``; ``item`` names what the stage was making
    when the error does not say."""
    if isinstance(error, StageItemError):
        return StageError(category=error.category, item=error.item, message=str(error)[:2000],
                          qa_categories=list(error.qa_categories))
    return StageError(category=category_of(error), item=item,
                      message=f"{item}: {reason_of(error)}"[:2000])


@contextmanager
def making(item: str) -> Iterator[None]:
    """Name ``item`` in any failure raised inside (cancellation passes through)."""
    try:
        yield
    except (StageItemError, JobCancelledError):
        raise
    except Exception as error:
        raise StageItemError(item, reason_of(error), category_of(error)) from error

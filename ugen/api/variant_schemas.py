"""Bodies of ``/variant-sets``: one product and its hooks, bodies and calls to action."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from pydantic import BaseModel, Field, model_validator

from ugen.api.schemas import JobCreate
from ugen.core.schemas import ONE_LINE
from ugen.core.types import AspectRatio
from ugen.service.variant_sets import SetEstimate, VariantSetView, VariantView

__all__ = ["SetEstimate", "VariantSetCreate", "VariantSetPublic", "VariantSetsPublic",
           "VariantView"]

MAX_LINES = 10
"""Most lines in each of ``hooks``, ``bodies`` and ``ctas``."""

ScriptLine = Annotated[str, Field(min_length=1, max_length=300), ONE_LINE]


def _lines(description: str) -> Any:
    return Field(min_length=1, max_length=MAX_LINES, description=description)


class VariantSetCreate(JobCreate):
    """The product and options every variant shares (as `POST /jobs` takes them), and the
    lines combined: one job per hook x body x CTA (x aspect ratio). The set writes each
    job's script (hook, body and CTA, one scene each), so `custom_script` is not taken and
    `segment_count` is 3."""

    hooks: tuple[ScriptLine, ...] = _lines("Opening lines, one scene each.")
    bodies: tuple[ScriptLine, ...] = _lines("Middle lines (the demo and benefit).")
    ctas: tuple[ScriptLine, ...] = _lines("Closing calls to action.")
    aspect_ratios: tuple[AspectRatio, ...] = Field(
        (), max_length=3, description="Each combination in each of these aspect ratios "
                                      "(default: `aspect_ratio` only).")

    @model_validator(mode="after")
    def _set_rules(self) -> VariantSetCreate:
        if self.custom_script is not None:
            raise ValueError("custom_script is not taken: a variant set writes each job's "
                             "script from its hook, body and cta")
        if "segment_count" in self.model_fields_set and self.segment_count != 3:
            raise ValueError("segment_count of a variant set is 3 (hook, body, cta)")
        if self.template_id is not None:
            raise ValueError("template_id is not taken by a variant set")
        if len(set(self.aspect_ratios)) != len(self.aspect_ratios):
            raise ValueError("aspect_ratios must not repeat")
        return self

    def shared_fields(self) -> dict[str, Any]:
        return self.model_dump(exclude={"product_image_url", "template_id", "qai_enabled",
                                        "hooks", "bodies", "ctas", "aspect_ratios"})

    def set_request_hash(self) -> str:
        body = self.model_dump(mode="json", exclude={"idempotency_key", "qai_enabled"})
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


class VariantSetPublic(VariantSetView):
    """A variant set: its lines, its estimate, each combination with its job."""


class VariantSetsPublic(BaseModel):
    items: list[VariantSetView]
    total: int
    page: int
    page_size: int
    total_pages: int

"""``/personas`` and ``/voices``: who can present the ad, and with which voice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ugen import catalog
from ugen.api.deps import AccountDep
from ugen.api.schemas import (
    ErrorPublic,
    PersonaPublic,
    PersonasPublic,
    VoicePublic,
    VoicesPublic,
    total_pages,
)
from ugen.api.strict_json import StrictJsonRoute

router = APIRouter(tags=["catalog"], responses={401: {"model": ErrorPublic}},
                   route_class=StrictJsonRoute)

PageQ = Annotated[int, Query(ge=1)]
PageSizeQ = Annotated[int, Query(ge=1, le=100)]


@router.get("/personas")
def list_personas(account: AccountDep, page: PageQ = 1, page_size: PageSizeQ = 20
                  ) -> PersonasPublic:
    """List personas (use `id` as a job's `persona_id`)."""
    rows = sorted(catalog.personas().values(), key=lambda p: p.id)
    items = [PersonaPublic(id=p.id, slug=p.slug, name=p.name, description=p.description,
                           voice_id=p.voice_id)
             for p in rows[(page - 1) * page_size: page * page_size]]
    return PersonasPublic(items=items, total=len(rows), page=page, page_size=page_size,
                          total_pages=total_pages(len(rows), page_size))


@router.get("/voices")
def list_voices(account: AccountDep, page: PageQ = 1, page_size: PageSizeQ = 20
                ) -> VoicesPublic:
    """List voices (use `id` as a job's `voice_settings.voice_id`)."""
    rows = sorted(catalog.voices().values(), key=lambda v: v.id)
    items = [VoicePublic(id=v.id, name=v.name, gender=v.gender, description=v.description)
             for v in rows[(page - 1) * page_size: page * page_size]]
    return VoicesPublic(items=items, total=len(rows), page=page, page_size=page_size,
                        total_pages=total_pages(len(rows), page_size))

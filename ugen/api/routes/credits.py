"""``/credits``: balance, the ledger and the price of a job before creating it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ugen import service
from ugen.api.deps import AccountDep, PageQ, SettingsDep
from ugen.api.routes.jobs import job_options
from ugen.api.schemas import (
    BalancePublic,
    ErrorPublic,
    EstimateCreate,
    EstimatePublic,
    TransactionsPublic,
    estimate_public,
    total_pages,
)
from ugen.api.strict_json import StrictJsonRoute
from ugen.core.estimate import estimate

router = APIRouter(prefix="/credits", tags=["credits"], responses={401: {"model": ErrorPublic}},
                   route_class=StrictJsonRoute)


@router.get("/balance")
def get_balance(settings: SettingsDep, account: AccountDep) -> BalancePublic:
    """The account's balance, reserved and available credits."""
    bal = service.account_balance(settings, account)
    return BalancePublic(credit_balance=bal.credit_balance, credit_reserved=bal.credit_reserved,
                         available_credits=bal.available_credits)


@router.get("/transactions")
def list_transactions(settings: SettingsDep, account: AccountDep,
                      page: PageQ = 1,
                      page_size: Annotated[int, Query(ge=1, le=100)] = 20,
                      job_id: str | None = None) -> TransactionsPublic:
    """The account's credit transactions, newest first."""
    _, items, total = service.ledger_page(settings, account, page=page, page_size=page_size,
                                          job_id=job_id)
    return TransactionsPublic(items=items, total=total, page=page, page_size=page_size,
                              total_pages=total_pages(total, page_size))


@router.post("/estimate")
def estimate_job(body: EstimateCreate, settings: SettingsDep,
                 account: AccountDep) -> EstimatePublic:
    """Price a job (the create-job body, `template_id` included) by cost component, without
    creating it."""
    return estimate_public(estimate(job_options(settings, account, body)).to_dict())

"""``/credits``: balance, the ledger and the price of a job before creating it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ugen.api.deps import AccountDep, PageQ, SettingsDep
from ugen.api.schemas import (
    BalancePublic,
    ErrorPublic,
    EstimateCreate,
    EstimatePublic,
    TransactionPublic,
    TransactionsPublic,
    as_utc,
    estimate_public,
    total_pages,
)
from ugen.core.estimate import estimate
from ugen.store import ledger
from ugen.store.db import session_scope

router = APIRouter(prefix="/credits", tags=["credits"], responses={401: {"model": ErrorPublic}})


@router.get("/balance")
def get_balance(settings: SettingsDep, account: AccountDep) -> BalancePublic:
    """The account's balance, reserved and available credits."""
    with session_scope(settings) as s:
        bal = ledger.balance(s, account)
    return BalancePublic(credit_balance=bal.credit_balance, credit_reserved=bal.credit_reserved,
                         available_credits=bal.available_credits)


@router.get("/transactions")
def list_transactions(settings: SettingsDep, account: AccountDep,
                      page: PageQ = 1,
                      page_size: Annotated[int, Query(ge=1, le=100)] = 20,
                      job_id: str | None = None) -> TransactionsPublic:
    """The account's credit transactions, newest first."""
    with session_scope(settings) as s:
        rows, total = ledger.list_transactions(s, account, job_id=job_id, page=page,
                                               page_size=page_size)
        items = [TransactionPublic(
            id=t.id, type=t.type, amount=t.amount,  # type: ignore[arg-type]
            balance_before=t.balance_before, balance_after=t.balance_after,
            reserved_after=t.reserved_after, job_id=t.job_id, description=t.description,
            created_at=as_utc(t.created_at)) for t in rows]
    return TransactionsPublic(items=items, total=total, page=page, page_size=page_size,
                              total_pages=total_pages(total, page_size))


@router.post("/estimate")
def estimate_job(body: EstimateCreate, account: AccountDep) -> EstimatePublic:
    """Price a job (the create-job body) by cost component, without creating it."""
    return estimate_public(estimate(body.to_options()).to_dict())

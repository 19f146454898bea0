"""The credit ledger: integer credits, every movement a transaction row.

``available = credit_balance - credit_reserved``. Reservations are taken with one guarded
UPDATE, so concurrent jobs can never take the balance below zero (on SQLite and PostgreSQL
alike). Every movement carries an idempotency key, so a step that runs twice moves credits
once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import cast

from sqlalchemy import (
    BigInteger,
    DateTime,
    Executable,
    String,
    Table,
    bindparam,
    exists,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ugen.core.types import TransactionType
from ugen.store.models import Account, CreditTransaction, utcnow


class InsufficientCreditsError(Exception):
    """The account's available credits do not cover the reservation."""

    def __init__(self, required: int, available: int) -> None:
        super().__init__(f"insufficient credits: {required} required, {available} available")
        self.required = required
        self.available = available


@dataclass(frozen=True)
class Balance:
    credit_balance: int
    credit_reserved: int

    @property
    def available_credits(self) -> int:
        return self.credit_balance - self.credit_reserved


def balance(session: Session, account_id: str) -> Balance:
    account = session.get(Account, account_id, populate_existing=True)
    if account is None:
        raise KeyError(account_id)
    return Balance(account.credit_balance, account.credit_reserved)


def _already(session: Session, key: str | None) -> bool:
    if key is None:
        return False
    found = session.scalar(
        select(CreditTransaction.id).where(CreditTransaction.idempotency_key == key)
    )
    return found is not None


def _record(
    session: Session, account_id: str, type_: TransactionType, amount: int, *,
    balance_delta: int, reserved_delta: int, job_id: str | None, description: str,
    key: str | None, guard_available: int | None = None,
) -> bool:
    """Apply one movement atomically; False when the guard refused it."""
    stmt = (
        update(Account)
        .where(Account.id == account_id)
        .values(
            credit_balance=Account.credit_balance + balance_delta,
            credit_reserved=Account.credit_reserved + reserved_delta,
        )
        .returning(Account.credit_balance, Account.credit_reserved)
    )
    if guard_available is not None:
        stmt = stmt.where(Account.credit_balance - Account.credit_reserved >= guard_available)
    row = session.execute(stmt).first()
    if row is None:
        return False
    new_balance, new_reserved = int(row[0]), int(row[1])
    session.add(
        CreditTransaction(
            account_id=account_id, job_id=job_id, type=type_, amount=amount,
            balance_before=new_balance - balance_delta, balance_after=new_balance,
            reserved_after=new_reserved, description=description, idempotency_key=key,
        )
    )
    session.flush()
    return True


def _record_once(
    session: Session, account_id: str, type_: TransactionType, amount: int, *,
    balance_delta: int, reserved_delta: int, job_id: str | None, description: str, key: str,
    guard_available: int | None = None,
) -> bool:
    """:func:`_record` unless ``key`` was recorded already, as ONE statement (PostgreSQL: a
    data-modifying CTE; the movement runs on the hot path of every job created, inside the
    account row's lock). False when nothing was recorded: the key was there, or the guard
    refused (the caller tells the two apart)."""
    row = session.execute(_record_once_statement(guarded=guard_available is not None), {
        "p_account_id": account_id, "p_job_id": job_id, "p_type": type_, "p_amount": amount,
        "p_balance_delta": balance_delta, "p_reserved_delta": reserved_delta,
        "p_description": description, "p_key": key, "p_created_at": utcnow(),
        "p_guard_available": guard_available or 0}).first()
    return row is not None


@cache
def _record_once_statement(*, guarded: bool) -> Executable:
    """The statement of :func:`_record_once`, built once with its values as parameters
    (named ``p_*``: a parameter named like a column of ``accounts`` would be SET too)."""
    accounts = cast(Table, Account.__table__)
    lines = cast(Table, CreditTransaction.__table__)
    balance_delta = bindparam("p_balance_delta", type_=BigInteger)
    moved = (update(accounts)
             .where(accounts.c.id == bindparam("p_account_id", type_=String),
                    ~exists().where(lines.c.idempotency_key == bindparam("p_key", type_=String)))
             .values(credit_balance=accounts.c.credit_balance + balance_delta,
                     credit_reserved=accounts.c.credit_reserved
                     + bindparam("p_reserved_delta", type_=BigInteger))
             .returning(accounts.c.credit_balance, accounts.c.credit_reserved))
    if guarded:
        moved = moved.where(accounts.c.credit_balance - accounts.c.credit_reserved
                            >= bindparam("p_guard_available", type_=BigInteger))
    acct = moved.cte("moved")
    return (insert(lines).from_select(
        ["account_id", "job_id", "type", "amount", "balance_before", "balance_after",
         "reserved_after", "description", "idempotency_key", "created_at"],
        select(bindparam("p_account_id", type_=String), bindparam("p_job_id", type_=String),
               bindparam("p_type", type_=String), bindparam("p_amount", type_=BigInteger),
               acct.c.credit_balance - balance_delta, acct.c.credit_balance,
               acct.c.credit_reserved, bindparam("p_description", type_=String),
               bindparam("p_key", type_=String),
               bindparam("p_created_at", type_=DateTime(timezone=True))))
            .returning(lines.c.id))


def _one_statement(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def grant(session: Session, account_id: str, credits: int, *,
          type_: TransactionType = "purchase", description: str = "",
          key: str | None = None) -> None:
    """Add credits (``purchase``, ``bonus`` or ``refund``)."""
    if credits <= 0:
        raise ValueError("credits must be positive")
    if _already(session, key):
        return
    _record(session, account_id, type_, credits, balance_delta=credits, reserved_delta=0,
            job_id=None, description=description, key=key)


def reserve(session: Session, account_id: str, job_id: str, credits: int, *, key: str,
            description: str = "") -> None:
    """Hold ``credits`` for a job, or raise :class:`InsufficientCreditsError`."""
    if credits < 0:
        raise ValueError("credits must not be negative")
    if credits == 0:
        return
    if _one_statement(session):
        if _record_once(session, account_id, "reserve", -credits, balance_delta=0,
                        reserved_delta=credits, job_id=job_id, description=description,
                        key=key, guard_available=credits) or _already(session, key):
            return
        raise InsufficientCreditsError(credits, balance(session, account_id).available_credits)
    if _already(session, key):
        return
    ok = _record(session, account_id, "reserve", -credits, balance_delta=0,
                 reserved_delta=credits, job_id=job_id, description=description, key=key,
                 guard_available=credits)
    if not ok:
        raise InsufficientCreditsError(credits, balance(session, account_id).available_credits)


def settle(session: Session, account_id: str, job_id: str, *, reserved: int, used: int,
           key: str, description: str = "") -> None:
    """Close a reservation: consume ``used`` of it and release the rest."""
    if not 0 <= used <= reserved:
        raise ValueError(f"cannot consume {used} of a {reserved}-credit reservation")
    if _already(session, key + ":consume") or _already(session, key + ":release"):
        return
    if used:
        _record(session, account_id, "consume", -used, balance_delta=-used,
                reserved_delta=-used, job_id=job_id, description=description,
                key=key + ":consume")
    if reserved - used:
        _record(session, account_id, "release", reserved - used, balance_delta=0,
                reserved_delta=-(reserved - used), job_id=job_id, description=description,
                key=key + ":release")


def ensure_account(session: Session, account_id: str, name: str, *, initial_credits: int) -> None:
    """Create an account once, granting its initial credits as a ``bonus``."""
    if session.get(Account, account_id) is not None:
        return
    try:
        with session.begin_nested():
            session.add(Account(id=account_id, name=name, credit_balance=0, credit_reserved=0))
    except IntegrityError:
        return
    if initial_credits > 0:
        grant(session, account_id, initial_credits, type_="bonus",
              description="starter credits", key=f"{account_id}:starter")


def list_transactions(session: Session, account_id: str, *, job_id: str | None = None,
                      page: int = 1, page_size: int = 20
                      ) -> tuple[list[CreditTransaction], int]:
    """An account's ledger lines, newest first, one page of them and the total count."""
    from sqlalchemy import func

    base = select(CreditTransaction).where(CreditTransaction.account_id == account_id)
    if job_id is not None:
        base = base.where(CreditTransaction.job_id == job_id)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(base.order_by(CreditTransaction.id.desc())
                           .offset((page - 1) * page_size).limit(page_size))
    return list(rows), int(total)

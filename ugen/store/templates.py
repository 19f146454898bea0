"""Queries of an account's templates: reusable job configs, listed default first.

Every query takes the account: another account's template is as absent as a missing one.
Creation runs behind a no-op UPDATE of the account row (its lock on PostgreSQL, the write
lock on SQLite), so two creations can never both pass the per-account limit; the partial
unique index ``ux_templates_default`` keeps one default per account whatever races.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ugen.store.models import Account, Template, utcnow

MAX_TEMPLATES = 20
"""Templates one account may keep (documented)."""


class TemplateNotFoundError(LookupError):
    """No such template, or another account's (the two are not told apart)."""

    def __init__(self, template_id: str) -> None:
        super().__init__(f"no template {template_id}")
        self.template_id = template_id


class TemplateLimitError(Exception):
    """The account already keeps the most templates it may."""

    def __init__(self, maximum: int, current: int) -> None:
        super().__init__(f"an account keeps at most {maximum} templates; delete one first")
        self.maximum = maximum
        self.current = current


@dataclass(frozen=True)
class TemplateChanges:
    """What an update sets; None leaves a field as it is (``description`` may be cleared
    with ``clear_description``)."""

    name: str | None = None
    description: str | None = None
    clear_description: bool = False
    config: dict[str, Any] | None = None
    is_default: bool | None = None


def _lock_account(session: Session, account_id: str) -> None:
    found = session.execute(
        update(Account).where(Account.id == account_id).values(name=Account.name)
        .returning(Account.id).execution_options(synchronize_session=False)
    ).first()
    if found is None:
        raise KeyError(account_id)


def _unset_default(session: Session, account_id: str, keep: str | None = None) -> None:
    where = [Template.account_id == account_id, Template.is_default.is_(True)]
    if keep is not None:
        where.append(Template.id != keep)
    session.execute(update(Template).where(*where).values(is_default=False)
                    .execution_options(synchronize_session=False))


def list_templates(session: Session, account_id: str, *, limit: int = 50) -> list[Template]:
    """The account's templates: the default first, then most used, then latest updated."""
    query = (select(Template).where(Template.account_id == account_id)
             .order_by(Template.is_default.desc(), Template.use_count.desc(),
                       Template.updated_at.desc(), Template.id)
             .limit(limit))
    return list(session.scalars(query))


def get_template(session: Session, account_id: str, template_id: str) -> Template:
    """Raises: TemplateNotFoundError."""
    found = session.get(Template, template_id)
    if found is None or found.account_id != account_id:
        raise TemplateNotFoundError(template_id)
    return found


def create_template(session: Session, account_id: str, *, name: str,
                    description: str | None, config: dict[str, Any], is_default: bool,
                    maximum: int = MAX_TEMPLATES) -> Template:
    """Insert a template (unsetting the previous default when it is the default).

    Raises:
        TemplateLimitError: the account keeps ``maximum`` templates already.
        KeyError: no such account.
    """
    _lock_account(session, account_id)
    current = session.scalar(select(func.count()).select_from(Template)
                             .where(Template.account_id == account_id)) or 0
    if current >= maximum:
        raise TemplateLimitError(maximum, current)
    if is_default:
        _unset_default(session, account_id)
    now = utcnow()
    template = Template(id=str(uuid.uuid4()), account_id=account_id, name=name,
                        description=description, config=config, is_default=is_default,
                        use_count=0, created_at=now, updated_at=now)
    session.add(template)
    session.flush()
    return template


def update_template(session: Session, account_id: str, template_id: str,
                    changes: TemplateChanges) -> Template:
    """Apply ``changes``; ``updated_at`` moves. Raises: TemplateNotFoundError."""
    template = get_template(session, account_id, template_id)
    if changes.is_default:
        _unset_default(session, account_id, keep=template_id)
        session.flush()
    if changes.name is not None:
        template.name = changes.name
    if changes.description is not None or changes.clear_description:
        template.description = changes.description
    if changes.config is not None:
        template.config = changes.config
    if changes.is_default is not None:
        template.is_default = changes.is_default
    template.updated_at = utcnow()
    session.flush()
    return template


def delete_template(session: Session, account_id: str, template_id: str) -> None:
    """Raises: TemplateNotFoundError."""
    session.delete(get_template(session, account_id, template_id))
    session.flush()


def count_use(session: Session, account_id: str, template_id: str,
              now: datetime | None = None) -> None:
    """Count one job made from the template, in the caller's transaction.

    Raises:
        TemplateNotFoundError: it is gone (deleted since the job's options were read).
    """
    done = session.execute(
        update(Template)
        .where(Template.id == template_id, Template.account_id == account_id)
        .values(use_count=Template.use_count + 1, last_used_at=now or utcnow())
        .execution_options(synchronize_session=False))
    if getattr(done, "rowcount", 0) != 1:
        raise TemplateNotFoundError(template_id)

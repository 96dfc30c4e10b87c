"""Rendering for server-rendered pages enhanced by htmx, and pagination.

What htmx sent is read through Flask-HTMX (console.extensions.htmx); a response that needs htmx headers
(HX-Trigger, HX-Redirect, …) is built with flask_htmx.make_response(..., trigger=..., redirect=...).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select

from console.bounds import page_number, search_term
from console.errors import RuleViolation
from console.extensions import db, htmx


def is_fragment_request() -> bool:
    """An htmx request that wants only a fragment (not a boosted navigation, which wants the page)."""
    return bool(htmx) and not htmx.boosted


def render(template: str, fragment: str | None = None, **context: Any) -> str:
    """Render the whole page, or only `fragment` (e.g. "_rows.html") when htmx asks for it."""
    if fragment and is_fragment_request():
        return render_template(fragment, **context)
    return render_template(template, **context)


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def search(query: Select, *columns, arg: str = "q") -> Select:
    """Rows where any of the columns contains ?q= (or ?<arg>=; case-insensitive; %, _ and \\ are literal)."""
    q = search_term(request.args.get(arg)).lower()
    if not q:
        return query
    return query.where(or_(*(func.lower(c).contains(q, autoescape=True) for c in columns)))


def paginate(query: Select, count: Select | None = None, plain: bool = False) -> Page:
    """One page of a SELECT, as chosen by ?page=; the size comes from the settings.

    `count`: the same rows without the joins that only add columns (counting joined rows can cost a slower plan).
    `plain`: the SELECT names columns, not mapped classes; its read-only rows skip the ORM's bookkeeping.
    """
    per_page = current_app.extensions["settings"].page_size
    page = page_number(request.args.get("page"))
    window = query.limit(per_page).offset((page - 1) * per_page)
    runner = db.session.connection() if plain else db.session
    result = runner.execute(window)
    # One entity or column per row → those values; several columns → the rows (attribute access by label).
    items = result.scalars().all() if len(result.keys()) == 1 else result.all()
    if page == 1 and len(items) < per_page:
        total = len(items)  # the first page holds everything: no count needed
    else:
        total = runner.scalar(_count(query if count is None else count)) or 0
    return Page(items=items, total=total, page=page, per_page=per_page)


def _count(query: Select) -> Select:
    """COUNT(*) over the same FROM and WHERE; a subquery only where DISTINCT or GROUP BY change the row count."""
    if query._distinct or query._group_by_clauses:
        return select(func.count()).select_from(query.order_by(None).subquery())
    return query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)


def apply_errors(form, violation: RuleViolation) -> None:
    """Show a service's refusal on the form: on the field it names, or above the form."""
    for name, message in violation.errors.items():
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [str(message)]
        else:
            form.form_errors.append(str(message))


def confirm_page(*, title: str, what: str, submit: str, back: str) -> str:
    """The page in front of a destructive POST (it works without JavaScript): what will go, a danger button that
    posts back to this URL with the CSRF token, and a way back. The view answers GET with it; POST does the deed."""
    return render("confirm.html", title=title, what=what, submit=submit, back=back, danger=True, form=None)


def confirm_revoke(name: str, *, back: str) -> str:
    """The confirmation page of revoking a bearer token, the same words for every kind of token."""
    return confirm_page(title=_("Revoke this token?"), what=_(
        "Token %(name)s stops working at once: the system that sends it is refused until it gets a new one.",
        name=name), submit=_("Revoke"), back=back)

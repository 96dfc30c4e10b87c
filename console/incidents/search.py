"""Full-text search over incidents: PostgreSQL tsvector + GIN index, a LIKE fallback on SQLite.

Both work on `incident.search_text`, which `refresh()` rebuilds whenever the searchable fields change;
on PostgreSQL the same statement fills the indexed tsvector column. Callers only use `matching()`.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, literal_column, update

from console.extensions import db
from console.incidents.models import Incident

# German and English text side by side: no language-specific stemming.
CONFIG = literal_column("'simple'::regconfig")


def document(incident: Incident) -> str:
    parts = [incident.number, incident.title, incident.description, incident.reproduction, incident.contact_name,
             incident.contact_phone, incident.customer.name if incident.customer else None,
             incident.pbx.name if incident.pbx else None, " ".join(incident.affected_numbers or [])]
    return " ".join(p for p in parts if p)


def refresh(incident: Incident) -> None:
    incident.search_text = document(incident)
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        table = Incident.__table__
        db.session.execute(update(table).where(table.c.id == incident.id)
                           .values(search_vector=func.to_tsvector(CONFIG, table.c.search_text)))


def matching(q: str) -> ColumnElement[bool]:
    """The WHERE clause for incidents that match every word of `q`."""
    if db.session.get_bind().dialect.name == "postgresql":
        return Incident.__table__.c.search_vector.op("@@")(func.plainto_tsquery(CONFIG, q))
    words = q.lower().split()
    return and_(*(func.lower(Incident.search_text).contains(w, autoescape=True) for w in words))

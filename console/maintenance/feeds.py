"""Subscribable feeds per reseller, behind a secret in the URL (console.auth.tokens): iCalendar and Atom."""
from __future__ import annotations

from xml.etree import ElementTree as ET

import icalendar
from flask import Response, url_for

from console import clock
from console.auth import tokens
from console.auth.scope import TokenPrincipal, scoped
from console.berlin_time import describe
from console.extensions import db
from console.maintenance.blueprint import bp
from console.maintenance.models import FeedToken, MaintenanceWindow, WindowState
from console.maintenance.notices import ics

FEED_STATES = [WindowState.ANNOUNCED, WindowState.RUNNING, WindowState.COMPLETED, WindowState.CANCELLED]
ATOM = "http://www.w3.org/2005/Atom"


def _windows_for(principal: TokenPrincipal) -> list[MaintenanceWindow]:
    return list(db.session.scalars(scoped(MaintenanceWindow, principal).where(MaintenanceWindow.state.in_(FEED_STATES))
                                   .order_by(MaintenanceWindow.starts_at.desc()).limit(200)))


@bp.get("/feed/<token>.ics")
@tokens.url_secret_required(FeedToken)
def feed_ics(principal: TokenPrincipal, token: str):
    windows = _windows_for(principal)
    lang = principal.reseller.language
    cal = icalendar.Calendar()
    cal.add("prodid", "-//stimme//Operations Console//DE")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "stimme Wartungsfenster" if lang == "de" else "stimme maintenance")
    for window in windows:
        event = icalendar.Calendar.from_ical(ics(window, lang, cancel=window.state is WindowState.CANCELLED))
        for component in event.walk("VEVENT"):
            cal.add_component(component)
    return Response(cal.to_ical(), mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})


@bp.get("/feed/<token>.atom")
@tokens.url_secret_required(FeedToken)
def feed_atom(principal: TokenPrincipal, token: str):
    windows = _windows_for(principal)
    lang = principal.reseller.language
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(root, f"{{{ATOM}}}title").text = "stimme Wartungsfenster" if lang == "de" else "stimme maintenance"
    ET.SubElement(root, f"{{{ATOM}}}id").text = f"urn:stimme:maintenance:{principal.reseller_id}"
    ET.SubElement(ET.SubElement(root, f"{{{ATOM}}}author"), f"{{{ATOM}}}name").text = "stimme"
    updated = max((w.created_at for w in windows), default=clock.now())
    ET.SubElement(root, f"{{{ATOM}}}updated").text = updated.isoformat()
    ET.SubElement(root, f"{{{ATOM}}}link", rel="self", href=url_for(".feed_atom", token=token, _external=True))
    for window in windows:
        entry = ET.SubElement(root, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"urn:stimme:maintenance-window:{window.uid}"
        state = window.state.value
        ET.SubElement(entry, f"{{{ATOM}}}title").text = f"{window.title(lang)} [{state}]"
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = (window.announced_at or window.created_at).isoformat()
        summary = f"{describe(window.starts_at, lang)} – {describe(window.ends_at, lang)}\n{window.description(lang)}"
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = summary
        ET.SubElement(entry, f"{{{ATOM}}}link", href=url_for(".detail", window_id=window.id, _external=True))
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, mimetype="application/atom+xml", headers={"Cache-Control": "private, max-age=300"})

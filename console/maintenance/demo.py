"""Demo maintenance windows: one platform-wide update next week, one emergency fix for a single PBX."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from console import clock
from console.accounts.models import Pbx
from console.extensions import db
from console.maintenance import services
from console.maintenance.models import EmergencyReason, MaintenanceWindow, WindowKind


def load_demo_windows() -> bool:
    if db.session.scalar(select(MaintenanceWindow.id).limit(1)) is not None:
        return False
    start = services.earliest_start(WindowKind.REGULAR, timedelta(hours=3), clock.now() + timedelta(days=3))
    services.schedule(actor_label="demo loader", kind=WindowKind.REGULAR, reason=None, starts_at=start,
                      ends_at=start + timedelta(hours=3), pbxs=[],
                      title_de="Update der Telefonanlagen-Firmware", title_en="PBX firmware update",
                      description_de="Die Telefonanlagen werden nacheinander neu gestartet; Gespräche können "
                                     "kurz unterbrochen werden.",
                      description_en="The PBXs restart one after another; calls may drop briefly.")
    pbx = db.session.scalar(select(Pbx).where(Pbx.name == "sonnenschein.stimme.cloud"))
    if pbx is not None:
        soon = clock.now().replace(second=0, microsecond=0) + timedelta(hours=2)
        services.schedule(actor_label="demo loader", kind=WindowKind.EMERGENCY, reason=EmergencyReason.SECURITY,
                          starts_at=soon, ends_at=soon + timedelta(minutes=30), pbxs=[pbx],
                          title_de="Sicherheitsupdate des Gateways", title_en="Gateway security update")
    return True

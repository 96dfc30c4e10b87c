"""The audit log for people: model and field names in the page's language, values as the rest of the console
shows them (Berlin times, Ja/Nein, translated roles and states), never `None` or a Python repr."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

MODELS = {
    "Login": _l("Login"), "Incident": _l("Fault report"), "TimeEntry": _l("Time entry"), "SlaTarget": _l("SLA target"),
    "Outage": _l("Outage"), "ApiToken": _l("API token"), "MediaItem": _l("Hold music or announcement"),
    "MediaVersion": _l("Audio version"), "PbxMediaToken": _l("PBX media address"), "Price": _l("Price"),
    "BillingRun": _l("Billing run"), "StatementLine": _l("Statement line"), "BillingToken": _l("Billing token"),
    "MaintenanceWindow": _l("Maintenance window"), "DirectoryToken": _l("Phonebook token"),
    "ExchangeAccount": _l("Exchange account"), "Reseller": _l("Reseller"), "Customer": _l("Customer"),
    "Pbx": _l("PBX"), "Site": _l("Site"), "Trunk": _l("Trunk"), "PhoneUser": _l("Phone user"),
}
FIELDS = {
    "name": _l("Name"), "email": _l("E-mail"), "role": _l("Role"), "state": _l("State"), "priority": _l("Priority"),
    "title": _l("Title"), "description": _l("Description"), "active": _l("Active"), "language": _l("Language"),
    "created_at": _l("Created"), "updated_at": _l("Changed"), "starts_at": _l("Start"), "ends_at": _l("End"),
    "assignee_id": _l("Assignee"), "customer_id": _l("Customer"), "reseller_id": _l("Reseller"), "pbx_id": _l("PBX"),
    "site_id": _l("Site"), "channel": _l("Channel"), "minutes": _l("Minutes"), "kind": _l("Kind"),
    "notice_email": _l("Notice address"), "first_name": _l("First name"), "last_name": _l("Last name"),
    "extension": _l("Extension"), "package": _l("Package"), "number": _l("Number"), "city": _l("City"),
    "street": _l("Street"), "postcode": _l("Postcode"), "password_hash": _l("Password"), "licence": _l("Licence"),
    "title_de": _l("Title (German)"), "title_en": _l("Title (English)"), "sequence": _l("Revision"),
    "announced_at": _l("Announced"), "completion_note": _l("Note"), "resolution": _l("Resolution"),
    "customer_number": _l("Customer number"), "contact_email": _l("Contact e-mail"),
}
VALUES = {
    "new": _l("New"), "in_progress": _l("In progress"), "waiting": _l("Waiting for reseller"),
    "resolved": _l("Resolved"), "closed": _l("Closed"), "planned": _l("Planned"), "announced": _l("Announced"),
    "running": _l("Running"), "completed": _l("Completed"), "cancelled": _l("Cancelled"), "missed": _l("Missed"),
    "staff_admin": _l("Staff admin"), "staff_support": _l("Staff support"), "reseller": _l("Reseller"),
    "customer_admin": _l("Customer admin"), "end_user": _l("End user"), "mail": _l("E-mail"), "api": _l("API"),
    "web": _l("Web form"), "phone": _l("Phone"), "regular": _l("Regular"), "emergency": _l("Emergency"),
}


def model_name(object_type: str) -> str:
    return str(MODELS.get(object_type, object_type))


def field_name(key: str) -> str:
    return str(FIELDS.get(key) or key.removesuffix("_id").replace("_", " ").capitalize())


def object_label(entry) -> str:
    """What the object was called; a label that is only Python's repr (`<TimeEntry (pending …)>`) says nothing."""
    label = entry.object_label or ""
    return "" if label.startswith("<") or label == "None" else label


def value(key: str, raw) -> str | datetime:
    """One recorded value as the console shows it; an instant comes back as such, for the page's date filter."""
    if raw is None or raw == "":
        return "–"
    if isinstance(raw, bool):
        return _("yes") if raw else _("no")
    if isinstance(raw, str):
        if key.endswith(("_at", "_until", "_since")) or key in ("starts", "ends"):
            try:
                instant = datetime.fromisoformat(raw)
            except ValueError:
                return raw
            return instant if instant.tzinfo else raw
        if key in ("role", "state", "channel", "kind", "status") and raw in VALUES:
            return str(VALUES[raw])
        if key.endswith("_on") or key == "day":
            try:
                return date.fromisoformat(raw).strftime("%d.%m.%Y")
            except ValueError:
                return raw
    return str(raw)

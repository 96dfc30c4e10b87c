"""Mail addresses: one parser for what is queued, what is sent and who wrote to us.

An address is checked when it is queued, so a bad one is refused with a reason there and never blocks the
outbox later: exactly one address, no line break or other control character, a local part that is ASCII or
(needing SMTPUTF8 from the receiving server) UTF-8, and a domain that IDNA 2008 accepts. The domain always
travels as its A-label, so `jörg@müller.de` is sent as `jörg@xn--mller-kva.de` and `joerg@müller.de` needs
nothing from the server at all.
"""
from __future__ import annotations

import email.policy
import re
import unicodedata
from dataclasses import dataclass
from email.errors import NonASCIILocalPartDefect
from email.headerregistry import Address

import idna
from flask_babel import lazy_gettext as _l

from console.errors import RuleViolation

# RFC 5322 atext, dot-separated; any non-ASCII character is allowed in a UTF-8 local part (RFC 6531)
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-"
                    r"\u0080-\U0010ffff]+)*")
MAX_ADDRESS = 254   # RFC 5321 path limit less the brackets
MAX_LOCAL = 64


class InvalidAddress(RuleViolation):
    """An address that cannot be sent to; `field` names the form or API field it came from."""

    def __init__(self, value: str, reason, field: str = "to"):
        self.value, self.reason = value, reason
        super().__init__({field: reason})


@dataclass(frozen=True)
class MailAddress:
    display_name: str
    local: str
    domain: str         # as written (lower-cased U-labels)
    ascii_domain: str   # A-labels: what goes into the envelope and the header

    @property
    def smtputf8(self) -> bool:
        """True when the local part is not ASCII: only a server that offers SMTPUTF8 can take it."""
        return not self.local.isascii()

    @property
    def envelope(self) -> str:
        return f"{self.local}@{self.ascii_domain}"

    @property
    def addr_spec(self) -> str:
        """The address as a person writes it (for comparing with registered addresses, and for display)."""
        return f"{self.local}@{self.domain}"

    @property
    def key(self) -> str:
        """Case-insensitive identity of the address, for matching against the addresses we have on record."""
        return self.addr_spec.lower()

    def header(self) -> Address:
        return Address(self.display_name, self.local, self.ascii_domain)


def has_line_break_or_control(value: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cs") for c in value)


def parse(value: str, field: str = "to") -> MailAddress:
    """One address, optionally with a display name ("Jörg Müller <jörg@müller.de>"), or InvalidAddress."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidAddress(str(value or ""), _l("Give an e-mail address."), field)
    value = value.strip()
    if has_line_break_or_control(value):
        raise InvalidAddress(value, _l("An e-mail address cannot contain line breaks or control characters."), field)
    if len(value) > 2 * MAX_ADDRESS:
        raise InvalidAddress(value, _l("This e-mail address is too long."), field)
    try:
        header = email.policy.default.header_factory("To", value)
        addresses, defects = header.addresses, header_defects(header)
    except Exception:  # the header parser raises on some garbage instead of recording a defect
        addresses, defects = (), ["unparsable"]
    if len(addresses) != 1 or defects:
        raise InvalidAddress(value, _l("Give exactly one e-mail address, like name@example.com."), field)
    found = addresses[0]
    local, domain = found.username, found.domain
    if not local or not domain or not _LOCAL.fullmatch(local) or len(local.encode()) > MAX_LOCAL:
        raise InvalidAddress(value, _l("%(address)s is not a valid e-mail address.", address=found.addr_spec), field)
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
        unicode_domain = idna.decode(ascii_domain)
    except (idna.IDNAError, UnicodeError, ValueError):
        raise InvalidAddress(value, _l("The domain of %(address)s is not a valid domain name.",
                                       address=found.addr_spec), field) from None
    if len(local.encode()) + 1 + len(ascii_domain) > MAX_ADDRESS:
        raise InvalidAddress(value, _l("This e-mail address is too long."), field)
    return MailAddress(display_name=found.display_name, local=local, domain=unicode_domain,
                       ascii_domain=ascii_domain)


def header_defects(header) -> list:
    """What the parser had to repair in a parsed address header (str() of it hides that: a missing '>' comes
    back added). Non-ASCII local parts are not a defect here (RFC 6532)."""
    return [d for d in getattr(header, "defects", ()) if not isinstance(d, NonASCIILocalPartDefect)]


def parse_or_none(value: str | None) -> MailAddress | None:
    try:
        return parse(value or "")
    except InvalidAddress:
        return None

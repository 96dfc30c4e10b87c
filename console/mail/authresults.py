"""What the receiving MTA found out about a sender: its `Authentication-Results` header (RFC 8601).

Anybody can write such a header into a message, so only one counts: the topmost one (the MTA in front of the
console adds its own on top) — or, when INBOUND_AUTHSERV_ID names the MTA, the topmost one carrying that
authserv-id. The MTA should remove headers that claim its id (RFC 8601 §5); with INBOUND_AUTHSERV_ID set, a
header written by the sender with another id is ignored even if it does not.

How the results are used (console.incidents.mail): a DMARC `fail` — or, where no DMARC verdict exists, an SPF
`fail` without any DKIM `pass` — means the From address was very likely forged: the message is kept for staff,
never filed as that reseller's report and never answered. Missing results change nothing (many small domains
publish no DMARC policy); the sender must be a registered address either way.
"""
from __future__ import annotations

import re
from email.message import EmailMessage

METHODS = ("spf", "dkim", "dmarc")
_QUOTED = r'"(?:[^"\\]|\\.)*"'


def _strip_comments(value: str) -> str:
    out, depth, quoted, escaped = [], 0, False, False
    for c in value:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(c)
            continue
        if c == "\\":
            escaped = True
            if depth == 0:
                out.append(c)
            continue
        if c == '"' and depth == 0:
            quoted = not quoted
        elif not quoted and c == "(":
            depth += 1
            continue
        elif not quoted and c == ")" and depth:
            depth -= 1
            continue
        if depth == 0:
            out.append(c)
    return "".join(out)


def _split(value: str, sep: str) -> list[str]:
    return [p.strip() for p in re.findall(rf'(?:{_QUOTED}|[^"{sep}])+', value) if p.strip()]


def parse_header(value: str) -> dict | None:
    """{"authserv_id": …, "results": [{"method": "dkim", "result": "pass", "props": {"header.d": …}}, …]}."""
    segments = _split(_strip_comments(" ".join(str(value).split())), ";")
    if not segments:
        return None
    authserv_id = segments[0].split()[0].lower()
    results = []
    for segment in segments[1:]:
        pairs = [p.split("=", 1) for p in _split(segment, r"\s") if "=" in p]
        if not pairs:
            continue
        method, result = pairs[0][0].split("/")[0].strip().lower(), pairs[0][1].strip().strip('"').lower()
        props = {k.strip().lower(): v.strip().strip('"') for k, v in pairs[1:]}
        results.append({"method": method[:20], "result": result[:20],
                        "props": {k[:40]: v[:200] for k, v in list(props.items())[:10]}})
    return {"authserv_id": authserv_id[:200], "results": results[:20]}


def trusted_results(message: EmailMessage, authserv_id: str = "") -> dict | None:
    """The results of the receiving MTA, or None when it left none (see the module's docstring)."""
    wanted = authserv_id.strip().lower()
    for raw in message.get_all("Authentication-Results") or []:
        try:
            parsed = parse_header(str(raw))
        except Exception:
            parsed = None
        if parsed is None:
            continue
        if not wanted or parsed["authserv_id"] == wanted:
            return parsed
    return None


def verdict(auth: dict | None, method: str) -> str | None:
    """The result of one method ("pass", "fail", …): a pass wins over other results of the same method."""
    found = [r["result"] for r in (auth or {}).get("results", []) if r["method"] == method]
    if not found:
        return None
    return "pass" if "pass" in found else found[0]


def forged(auth: dict | None) -> bool:
    """True when the MTA's results say the From address was not the sender's to use."""
    dmarc = verdict(auth, "dmarc")
    if dmarc is not None:
        return dmarc == "fail"
    return verdict(auth, "spf") == "fail" and verdict(auth, "dkim") != "pass"


def summary(auth: dict | None) -> list[tuple[str, str, str]]:
    """(method, result, detail) for SPF, DKIM and DMARC, for the staff's view."""
    rows = []
    for r in (auth or {}).get("results", []):
        if r["method"] in METHODS:
            detail = " ".join(f"{k}={v}" for k, v in r["props"].items())
            rows.append((r["method"].upper(), r["result"], detail))
    return rows

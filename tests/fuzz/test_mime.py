"""Inbound mail as the SMTP server stores it (raw bytes): storing and every reader a handler or the inbound
page uses — subject, sender, text, attachments, the viewer, the fax handler's PDF pick — answers, never raises.

The messages are built from parts that go wrong in real mail (unknown and lying charsets, broken base64 and
quoted-printable, RFC 2047 words that do not decode, nesting, a forwarded message, a header of 100 KB, NUL),
then some of their bytes are mutated."""
from __future__ import annotations

import pytest
from hypothesis import example, given, strategies as st

from console.auth.models import Role
from console.extensions import db
from console.fax import mailin
from console.incidents.mail import sender_of
from console.mail import autoreply, content, inbound, viewer
from console.mail import jobs as mail_jobs
from console.mail.models import InboundMessage, InboundState
from tests.fuzz.conftest import bounded

CHARSETS = st.sampled_from(["utf-8", "iso-8859-1", "x-unknown", "utf-7", "", "utf-16", "windows-1252",
                            "\"utf-8", "big5", "ascii\x00", "ü"])
ENCODINGS = st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "binary", "bogus"])
TYPES = st.sampled_from(["text/plain", "text/html", "application/pdf", "image/png", "message/rfc822",
                         "text", "/", "application/octet-stream", "multipart/mixed"])
HEADER_TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["=?utf-8?b?w7w=?=", "=?x-unknown?q?=FC?=", "=?utf-8?b?====?=", "=?iso-8859-1?q?Gr=FC=DFe?=",
                     "=?utf-8?q?broken", "\"Erika\" <erika@kunde.example>", "<>", "a@b, c@d", "x" * 100_000]))


def _header(name: str, value: str) -> bytes:
    return name.encode() + b": " + value.encode("utf-8", "surrogateescape") + b"\r\n"


@st.composite
def leaf(draw) -> bytes:
    ctype, charset, cte = draw(TYPES), draw(CHARSETS), draw(ENCODINGS)
    name = draw(st.sampled_from(["", "brief.pdf", "../../etc/passwd", "=?utf-8?b?w7w=?=.pdf", "\x00.pdf",
                                 "a" * 500 + ".pdf", "\u202egnp.exe"]))
    head = _header("Content-Type", f"{ctype}; charset={charset}" + (f'; name="{name}"' if name else ""))
    head += _header("Content-Transfer-Encoding", cte)
    if draw(st.booleans()):
        head += _header("Content-Disposition", f'attachment; filename="{name}"')
    body = draw(st.one_of(st.binary(max_size=200),
                          st.sampled_from([b"SGFsbG8=", b"SGFsbG8", b"===", b"=FC=\r\n=XY", b"%PDF-1.4\n",
                                           b"<p>Hallo<script>x</script>", b"\xff\xfe\x00"])))
    return head + b"\r\n" + body


@st.composite
def mime(draw, depth: int = 0) -> bytes:
    head = b"".join(_header(n, draw(HEADER_TEXT)) for n in draw(st.lists(
        st.sampled_from(["Subject", "From", "To", "Message-ID", "Date", "Auto-Submitted", "Precedence",
                         "Authentication-Results", "Reply-To", "From"]), max_size=6)))
    if depth < 3 and draw(st.booleans()):
        boundary = draw(st.sampled_from(["b1", "", "b1\x00", "=_" * 40]))
        kind = draw(st.sampled_from(["mixed", "alternative", "related", "digest"]))
        parts = draw(st.lists(st.one_of(leaf(), mime(depth + 1)), max_size=3))
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts)
        end = b"--" + boundary.encode() + b"--\r\n" if draw(st.booleans()) else b""   # unterminated now and then
        return head + _header("Content-Type", f'multipart/{kind}; boundary="{boundary}"') + b"\r\n" + body + end
    return head + draw(leaf())


@st.composite
def mutated(draw) -> bytes:
    raw = bytearray(draw(mime()))
    for _ in range(draw(st.integers(0, 4))):
        if raw:
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
    return bytes(raw)


RAW = st.one_of(mutated(), mime(), st.binary(max_size=300))


@given(RAW)
@example(b"")
@example(b"Subject: =?utf-8?b?====?=\r\n\r\n")
@example(b"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n\r\n----\r\n")
@example(b"From: " + b"x" * 100_000 + b"\r\n\r\nHallo")
@example(b"Content-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: base64\r\n\r\n===")
@example(b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n"
         b"Content-Disposition: attachment; filename=\"" + b"a" * 500 + b".pdf\"\r\n\r\n\r\n--b--\r\n")
@example(b"Message-ID: <@>\r\nAuthentication-Results: mx.stimme.test; spf=fail\r\n\r\nx")  # IndexError in CPython
@example(b"From: a:<\r\nSubject: x\r\n\r\nHallo")   # IndexError in CPython's address parser
@bounded(150)
def test_every_reader_of_a_stored_message_answers(app, raw):
    message_id, auth = inbound._read_headers(raw)
    if b"Authentication-Results: mx.stimme.test; spf=fail" in raw:   # a broken Message-ID must not hide it
        assert auth and auth["results"][0]["result"] == "fail"
    assert message_id is None or (len(message_id) <= 250 and "\n" not in message_id)
    row = InboundMessage(raw=raw, mail_from="x@y.example", rcpt_to="stoerung@stimme.test", handler="incidents")
    assert "\n" not in row.subject and "\x00" not in row.subject
    message = row.parsed
    sender = sender_of(message)
    assert sender is None or "@" in sender.addr_spec
    assert "\x00" not in content.body_text(message)
    for part in content.attachments(message):
        assert "/" not in part.filename and "\x00" not in part.filename and len(part.filename) <= 200
        assert isinstance(part.data, bytes)
    autoreply.is_auto_reply(message)
    shown = viewer.show(message)
    assert "\n" not in shown.subject
    viewer.html_body(message)
    for part in shown.attachments:
        assert viewer.part_content(message, part.number) is not None
    pdfs, others = mailin._pdf_parts(message)
    assert others >= 0 and len(pdfs) <= len(list(message.walk()))
    mailin._text_of(message)


@pytest.fixture
def reporting(configure, make_customer, make_login):
    configure(inbound_domains="stimme.test", inbound_addresses="stoerung=incidents", base_url="https://konsole.test")
    make_login(Role.RESELLER, email="noc@partner.example", reseller=make_customer().reseller)


@given(RAW, st.booleans())
@example(b"Subject: =?x-unknown?q?=FC?=\r\nMessage-ID: <@>\r\n\r\nHallo", True)
@bounded(30)
def test_the_fault_report_handler_files_or_holds_any_message(reporting, raw, registered):
    """Through the real path: stored as the SMTP server stores it, then the incidents handler in the job. A
    message is filed or held for staff; a handler failing on its content (a retry) would be a defect."""
    if registered:   # from a registered reseller, so the handler reads all of it rather than holding it early
        raw = b"From: Partner <noc@partner.example>\r\n" + b"\r\n".join(
            line for line in raw.split(b"\r\n") if not line.lower().startswith(b"from:"))
    [message_id] = inbound.store("noc@partner.example", ["stoerung@stimme.test"], raw, peer="127.0.0.1")
    mail_jobs.dispatch(message_id)
    row = db.session.get(InboundMessage, message_id, populate_existing=True)
    assert row.state in (InboundState.HANDLED, InboundState.HELD), (row.state, row.last_error)

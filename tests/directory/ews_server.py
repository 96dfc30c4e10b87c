"""A TEST SERVER, not Exchange: a tiny EWS (SOAP over HTTP) endpoint on loopback for the Exchange sync tests.

It speaks just the operations the console's sync makes exchangelib send — GetFolder, FindFolder,
SyncFolderItems and ResolveNames — for one mailbox with contact folders and an organisation's global address
list (GAL), in the wire format Exchange uses, so exchangelib runs unmodified against it. It checks HTTP Basic
credentials, keeps a change log so sync states work incrementally, and can be told to reject sync states
(ErrorInvalidSyncStateData) or to be busy (ErrorServerBusy with BackOffMilliseconds). Every request is
recorded for the tests to inspect.

ResolveNames is modelled on Exchange's ambiguous name resolution, simplified: one UnresolvedEntry per request
(more is a schema error, as on Exchange), matched case-insensitively as a prefix of the display name, first
name, last name, alias (the address's local part) or SMTP address; SearchScope picks the GAL, the mailbox's
Contacts folder or both (the default, ActiveDirectoryContacts); the answer is sorted by display name and cut
at 100 resolutions, with IncludesLastItemInRange="false" when it was cut and TotalItemsInView giving the
number of resolutions in the set. Response classes as on Exchange: one match Success, several a Warning
(ErrorNameResolutionMultipleResults), none an Error (ErrorNameResolutionNoResults). Exchange's other ANR
rules (e.g. "first last" split at spaces, "=exact", "smtp:" prefixes) are not modelled.
"""
from __future__ import annotations

import base64
import itertools
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape, quoteattr

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"
ERRORS = "http://schemas.microsoft.com/exchange/services/2006/errors"

PHONE_KEYS = {"phone": "BusinessPhone", "mobile": "MobilePhone", "home": "HomePhone", "fax": "BusinessFax"}
RESOLVE_NAMES_LIMIT = 100  # Exchange returns at most 100 candidates per ResolveNames lookup


@dataclass
class Item:
    id: str
    fields: dict
    version: int  # change counter at the last create/update
    created: int


@dataclass
class Folder:
    id: str
    name: str
    parent: str | None
    distinguished: str | None = None
    items: dict[str, Item] = field(default_factory=dict)
    tombstones: dict[str, int] = field(default_factory=dict)  # item id → change counter of the deletion


@dataclass
class Request:
    operation: str
    at: float
    sync_state: str | None = None


class Mailbox:
    def __init__(self, username: str, password: str):
        self.username, self.password = username, password
        self.lock = threading.Lock()
        self.counter = itertools.count(1)
        self.clock = 0
        self.epoch = 1  # bumping it makes every earlier sync state invalid
        self.folders: dict[str, Folder] = {}
        self.add_folder("root", "Root", None, "root")
        self.add_folder("contacts", "Contacts", "root", "contacts")
        self.gal: dict[str, dict] = {}  # the global address list: SMTP address → fields
        self.requests: list[Request] = []
        self.busy: list[int] = []  # back-off milliseconds for the next requests

    def add_folder(self, folder_id: str, name: str, parent: str | None, distinguished: str | None = None) -> Folder:
        self.folders[folder_id] = Folder(folder_id, name, parent, distinguished)
        return self.folders[folder_id]

    def _tick(self) -> int:
        self.clock = next(self.counter)
        return self.clock

    def put(self, folder_id: str, item_id: str | None = None, **fields) -> str:
        with self.lock:
            folder = self.folders[folder_id]
            tick = self._tick()
            item_id = item_id or base64.b64encode(f"item-{tick}-{'x' * 40}".encode()).decode()
            old = folder.items.get(item_id)
            folder.items[item_id] = Item(item_id, fields, tick, old.created if old else tick)
            folder.tombstones.pop(item_id, None)
            return item_id

    def remove(self, folder_id: str, item_id: str) -> None:
        with self.lock:
            folder = self.folders[folder_id]
            del folder.items[item_id]
            folder.tombstones[item_id] = self._tick()

    def put_gal(self, email: str, mailbox_type: str = "Mailbox", **fields) -> str:
        """Add or replace an entry of the global address list (a user's mailbox, a mail contact, a group)."""
        with self.lock:
            self.gal[email] = dict(fields, email=email, mailbox_type=mailbox_type)
            return email

    def remove_gal(self, email: str) -> None:
        with self.lock:
            del self.gal[email]

    def invalidate_sync_states(self) -> None:
        with self.lock:
            self.epoch += 1

    def state(self, folder_id: str, clock: int) -> str:
        return base64.b64encode(f"{self.epoch}:{folder_id}:{clock}".encode()).decode()

    def parse_state(self, folder_id: str, state: str | None) -> int | None:
        """0 for no state (a full sync); None when the state is not one this server gave out for this folder."""
        if not state:
            return 0
        try:
            epoch, folder, clock = base64.b64decode(state).decode().split(":")
            if int(epoch) == self.epoch and folder == folder_id:
                return int(clock)
        except ValueError:
            pass
        return None


def envelope(body: str) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{SOAP}"><s:Header>'
            f'<h:ServerVersionInfo xmlns:h="{T}" MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" '
            f'MinorBuildNumber="6" Version="V2017_07_11"/></s:Header><s:Body>{body}</s:Body></s:Envelope>').encode()


def _folder_xml(folder: Folder) -> str:
    tag = "ContactsFolder" if folder.distinguished != "root" else "Folder"
    parent = f'<t:ParentFolderId Id="{folder.parent}" ChangeKey="ck"/>' if folder.parent else ""
    return (f'<t:{tag}><t:FolderId Id="{folder.id}" ChangeKey="ck"/>{parent}'
            f'<t:FolderClass>{"IPF.Contact" if tag == "ContactsFolder" else "IPF.Note"}</t:FolderClass>'
            f'<t:DisplayName>{escape(folder.name)}</t:DisplayName><t:TotalCount>{len(folder.items)}</t:TotalCount>'
            f'<t:ChildFolderCount>0</t:ChildFolderCount><t:UnreadCount>0</t:UnreadCount></t:{tag}>')


def _contact_xml(item: Item) -> str:
    f = item.fields
    parts = [f'<t:ItemId Id={quoteattr(item.id)} ChangeKey="ck{item.version}"/>', "<t:ItemClass>IPM.Contact</t:ItemClass>"]
    if f.get("note"):
        parts.append(f'<t:Body BodyType="Text">{escape(f["note"])}</t:Body>')
    display = " ".join(p for p in (f.get("given_name"), f.get("surname")) if p) or f.get("company", "")
    parts.append(f"<t:DisplayName>{escape(display)}</t:DisplayName>")
    if f.get("given_name"):
        parts.append(f"<t:GivenName>{escape(f['given_name'])}</t:GivenName>")
    if f.get("company"):
        parts.append(f"<t:CompanyName>{escape(f['company'])}</t:CompanyName>")
    if f.get("email"):
        parts.append(f'<t:EmailAddresses><t:Entry Key="EmailAddress1">{escape(f["email"])}</t:Entry></t:EmailAddresses>')
    phones = "".join(f'<t:Entry Key="{key}">{escape(f[name])}</t:Entry>' for name, key in PHONE_KEYS.items()
                     if f.get(name))
    if phones:
        parts.append(f"<t:PhoneNumbers>{phones}</t:PhoneNumbers>")
    if f.get("title"):
        parts.append(f"<t:JobTitle>{escape(f['title'])}</t:JobTitle>")
    if f.get("surname"):
        parts.append(f"<t:Surname>{escape(f['surname'])}</t:Surname>")
    return f"<t:Contact>{''.join(parts)}</t:Contact>"


def _display_name(f: dict) -> str:
    return " ".join(p for p in (f.get("given_name"), f.get("surname")) if p) or f.get("company", "")


def _gal_contact_xml(f: dict) -> str:
    """A GAL entry as Exchange's full contact data from Active Directory: addresses carry their "SMTP:" type."""
    parts = [f"<t:DisplayName>{escape(_display_name(f) or f['email'])}</t:DisplayName>"]
    if f.get("given_name"):
        parts.append(f"<t:GivenName>{escape(f['given_name'])}</t:GivenName>")
    if f.get("company"):
        parts.append(f"<t:CompanyName>{escape(f['company'])}</t:CompanyName>")
    parts.append(f'<t:EmailAddresses><t:Entry Key="EmailAddress1">SMTP:{escape(f["email"])}</t:Entry>'
                 f"</t:EmailAddresses>")
    phones = "".join(f'<t:Entry Key="{key}">{escape(f[name])}</t:Entry>' for name, key in PHONE_KEYS.items()
                     if f.get(name))
    if phones:
        parts.append(f"<t:PhoneNumbers>{phones}</t:PhoneNumbers>")
    parts.append("<t:ContactSource>ActiveDirectory</t:ContactSource>")
    if f.get("title"):
        parts.append(f"<t:JobTitle>{escape(f['title'])}</t:JobTitle>")
    if f.get("surname"):
        parts.append(f"<t:Surname>{escape(f['surname'])}</t:Surname>")
    return f"<t:Contact>{''.join(parts)}</t:Contact>"


def _resolution_xml(name: str, email: str, mailbox_type: str, contact: str, item_id: str | None = None) -> str:
    item = f'<t:ItemId Id={quoteattr(item_id)} ChangeKey="ck"/>' if item_id else ""
    return (f"<t:Resolution><t:Mailbox><t:Name>{escape(name)}</t:Name><t:EmailAddress>{escape(email)}"
            f"</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>{mailbox_type}</t:MailboxType>"
            f"{item}</t:Mailbox>{contact}</t:Resolution>")


def _anr_matches(prefix: str, f: dict) -> bool:
    email = f.get("email", "")
    candidates = (_display_name(f), f.get("given_name", ""), f.get("surname", ""), email.split("@")[0], email)
    return any(c.casefold().startswith(prefix) for c in candidates if c)


def _one(operation: str, inner: str, error: tuple[str, str] | None = None) -> str:
    if error:
        code, text = error
        return (f'<m:{operation}ResponseMessage ResponseClass="Error"><m:MessageText>{escape(text)}</m:MessageText>'
                f"<m:ResponseCode>{code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>{inner}"
                f"</m:{operation}ResponseMessage>")
    return (f'<m:{operation}ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
            f"{inner}</m:{operation}ResponseMessage>")


def _response(operation: str, messages: list[str]) -> str:
    return (f'<m:{operation}Response xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages>{"".join(messages)}'
            f"</m:ResponseMessages></m:{operation}Response>")


def _message(operation: str, inner: str, error: tuple[str, str] | None = None) -> str:
    return _response(operation, [_one(operation, inner, error)])


def _schema_fault(text: str) -> str:
    return ('<s:Fault><faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">'
            f'a:ErrorSchemaValidation</faultcode><faultstring xml:lang="en-US">{escape(text)}</faultstring>'
            f'<detail><e:ResponseCode xmlns:e="{ERRORS}">ErrorSchemaValidation</e:ResponseCode>'
            f'<e:Message xmlns:e="{ERRORS}">{escape(text)}</e:Message></detail></s:Fault>')


def _busy_fault(back_off_ms: int) -> str:
    return ('<s:Fault><faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">'
            'a:ErrorServerBusy</faultcode><faultstring xml:lang="en-US">The server cannot service this request '
            f'right now. Try again later.</faultstring><detail><e:ResponseCode xmlns:e="{ERRORS}">ErrorServerBusy'
            f'</e:ResponseCode><e:Message xmlns:e="{ERRORS}">The server cannot service this request right now. '
            f'Try again later.</e:Message><t:MessageXml xmlns:t="{T}"><t:Value Name="BackOffMilliseconds">'
            f"{back_off_ms}</t:Value></t:MessageXml></detail></s:Fault>")


class _Handler(BaseHTTPRequestHandler):
    server: "EwsTestServer"

    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):
        mailbox = self.server.mailbox
        expected = "Basic " + base64.b64encode(f"{mailbox.username}:{mailbox.password}".encode()).decode()
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="ews"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        request = ET.fromstring(body).find(f"{{{SOAP}}}Body")[0]
        operation = request.tag.split("}")[1]
        state = request.findtext(f"{{{M}}}SyncState")
        with mailbox.lock:
            mailbox.requests.append(Request(operation, time.monotonic(), state))
            back_off = mailbox.busy.pop(0) if mailbox.busy else None
        if back_off is not None:
            return self._send(500, envelope(_busy_fault(back_off)))
        handler = getattr(self, f"_{operation}", None)
        if handler is None:
            return self._send(500, envelope(f"<s:Fault><faultcode>s:Client</faultcode><faultstring>{operation} is "
                                            "not spoken by this test server</faultstring></s:Fault>"))
        with mailbox.lock:
            answer = handler(request)
        if answer.startswith("<s:Fault>"):
            return self._send(500, envelope(answer))
        self._send(200, envelope(answer))

    def _send(self, status: int, payload: bytes):
        self.send_response(status)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _folder(self, elem) -> Folder | None:
        mailbox = self.server.mailbox
        if elem.tag == f"{{{T}}}DistinguishedFolderId":
            return next((f for f in mailbox.folders.values() if f.distinguished == elem.get("Id")), None)
        return mailbox.folders.get(elem.get("Id"))

    def _GetFolder(self, request) -> str:
        folders = [self._folder(e) for e in request.find(f"{{{M}}}FolderIds")]
        return _response("GetFolder", [
            _one("GetFolder", f"<m:Folders>{_folder_xml(f)}</m:Folders>") if f else
            _one("GetFolder", "", ("ErrorFolderNotFound", "The specified folder could not be found."))
            for f in folders])

    def _FindFolder(self, request) -> str:
        parents = [self._folder(e) for e in request.find(f"{{{M}}}ParentFolderIds")]
        deep = request.get("Traversal") == "Deep"
        found, todo = [], [p.id for p in parents if p]
        while todo:
            parent = todo.pop(0)
            children = [f for f in self.server.mailbox.folders.values() if f.parent == parent]
            found += children
            if deep:
                todo += [c.id for c in children]
        inner = (f'<m:RootFolder TotalItemsInView="{len(found)}" IncludesLastItemInRange="true"><t:Folders>'
                 f"{''.join(_folder_xml(f) for f in found)}</t:Folders></m:RootFolder>")
        return _message("FindFolder", inner)

    def _SyncFolderItems(self, request) -> str:
        mailbox = self.server.mailbox
        folder = self._folder(request.find(f"{{{M}}}SyncFolderId")[0])
        if folder is None:
            return _message("SyncFolderItems", "", ("ErrorFolderNotFound", "The specified folder could not be found."))
        since = mailbox.parse_state(folder.id, request.findtext(f"{{{M}}}SyncState"))
        if since is None:
            # Exchange still sends the (empty) SyncState and IncludesLastItemInRange elements with this error;
            # exchangelib 5.6 reads them before it looks at the response code.
            return _message("SyncFolderItems", "<m:SyncState/><m:IncludesLastItemInRange>true"
                            "</m:IncludesLastItemInRange>", ("ErrorInvalidSyncStateData",
                                                             "Synchronization state data is corrupt or otherwise invalid."))
        limit = int(request.findtext(f"{{{M}}}MaxChangesReturned") or 100)
        changes = [(item.version, "Create" if item.created > since else "Update", item)
                   for item in folder.items.values() if item.version > since]
        changes += [(tick, "Delete", item_id) for item_id, tick in folder.tombstones.items() if tick > since]
        changes.sort(key=lambda c: c[0])
        page, last = changes[:limit], len(changes) <= limit
        upto = page[-1][0] if page else max(since, mailbox.clock)
        if last:
            upto = max(upto, mailbox.clock)
        xml = "".join(f'<t:Delete><t:ItemId Id={quoteattr(obj)} ChangeKey="x"/></t:Delete>' if kind == "Delete"
                      else f"<t:{kind}>{_contact_xml(obj)}</t:{kind}>" for _, kind, obj in page)
        inner = (f"<m:SyncState>{mailbox.state(folder.id, upto)}</m:SyncState>"
                 f"<m:IncludesLastItemInRange>{'true' if last else 'false'}</m:IncludesLastItemInRange>"
                 f"<m:Changes>{xml}</m:Changes>")
        return _message("SyncFolderItems", inner)


    def _ResolveNames(self, request) -> str:
        mailbox = self.server.mailbox
        entries = request.findall(f"{{{M}}}UnresolvedEntry")
        if len(entries) != 1:
            return _schema_fault("The request failed schema validation: ResolveNames takes one UnresolvedEntry.")
        prefix = (entries[0].text or "").strip().casefold()
        scope = request.get("SearchScope") or "ActiveDirectoryContacts"
        full = request.get("ReturnFullContactData") == "true"
        found: list[tuple[str, str]] = []  # (display name, resolution XML)
        if "ActiveDirectory" in scope:
            for f in mailbox.gal.values():
                if _anr_matches(prefix, f):
                    name = _display_name(f) or f["email"]
                    found.append((name, _resolution_xml(name, f["email"], f["mailbox_type"],
                                                        _gal_contact_xml(f) if full else "")))
        if "Contacts" in scope:
            contacts = next(f for f in mailbox.folders.values() if f.distinguished == "contacts")
            for item in contacts.items.values():
                if _anr_matches(prefix, item.fields):
                    name = _display_name(item.fields)
                    found.append((name, _resolution_xml(name, item.fields.get("email", ""), "Contact",
                                                        _contact_xml(item) if full else "", item.id)))
        found.sort(key=lambda r: r[0].casefold())
        page, last = found[:RESOLVE_NAMES_LIMIT], len(found) <= RESOLVE_NAMES_LIMIT
        if not page:
            return _message("ResolveNames", "", ("ErrorNameResolutionNoResults", "No results were found."))
        inner = (f'<m:ResolutionSet TotalItemsInView="{len(page)}" '
                 f'IncludesLastItemInRange="{"true" if last else "false"}">{"".join(x for _, x in page)}'
                 "</m:ResolutionSet>")
        if len(page) == 1:
            return _message("ResolveNames", inner)
        return _response("ResolveNames", [
            '<m:ResolveNamesResponseMessage ResponseClass="Warning"><m:MessageText>Multiple results were found.'
            "</m:MessageText><m:ResponseCode>ErrorNameResolutionMultipleResults</m:ResponseCode>"
            f"<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>{inner}</m:ResolveNamesResponseMessage>"])


class EwsTestServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, mailbox: Mailbox):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mailbox = mailbox
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/EWS/Exchange.asmx"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()

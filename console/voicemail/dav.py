"""The PBXs' voicemail store over WebDAV (WsgiDAV), mounted at /dav/<pbx name>/.

- Authentication: HTTP Basic with the PBX's name and a voicemail token (console.auth.tokens), checked by the
  domain controller below; the realm is the first path segment, so a PBX's credentials open only its own
  ``/dav/<its name>/``.
- Paths: the first segment must be the signed-in PBX's name; the rest is resolved inside the tree named by the
  PBX's *id* (console.voicemail.store), so neither a name nor ``../`` nor a MOVE's Destination reaches another
  PBX's files.
- A PUT is written to a ``.part`` file, fsynced and renamed; a recording in a mailbox folder then gets its row,
  committed before the PUT is answered (console.voicemail.intake). Refusals answer 403 (no package), 409 (unknown
  mailbox) or 413 (too large), the row kept for staff.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from wsgidav.dav_error import HTTP_FORBIDDEN, HTTP_NOT_FOUND, DAVError
from wsgidav.dc.base_dc import BaseDomainController
from wsgidav.fs_dav_provider import FileResource, FilesystemProvider, FolderResource
from wsgidav.wsgidav_app import WsgiDAVApp

from console import clock
from console.accounts.models import Pbx
from console.auth import tokens
from console.extensions import db
from console.voicemail import intake, store
from console.voicemail.models import VoicemailToken
from console.voicemail.recording import codec_of, from_name, from_sidecar

log = logging.getLogger("console.voicemail")
PREFIX = "/dav"
_PBX_ID, _PBX_NAME = "stimme.pbx_id", "stimme.pbx_name"
_STATUS = {"no_package": 403, "unknown_mailbox": 409, "too_large": 413}


def _first_segment(path: str) -> str:
    return path.strip("/").partition("/")[0]


class PbxDomainController(BaseDomainController):
    """HTTP Basic: user name = the PBX's name, password = one of its live voicemail tokens."""

    def __init__(self, wsgidav_app, config):
        super().__init__(wsgidav_app, config)

    def __str__(self):
        return "stimme voicemail tokens"

    def get_domain_realm(self, path_info, environ):
        return _first_segment(path_info) or "stimme"

    def require_authentication(self, realm, environ):
        return True

    def supports_http_digest_auth(self):
        return False

    def basic_auth_user(self, realm, user_name, password, environ):
        token = tokens.find(VoicemailToken, password)
        if token is None or token.pbx is None or token.pbx.name != user_name or user_name != realm:
            db.session.rollback()
            return False
        environ[_PBX_ID], environ[_PBX_NAME] = token.pbx_id, token.pbx.name
        db.session.commit()   # the token's last use (at most once a minute)
        return True


class StoreFile(FileResource):
    """A file of a PBX's tree; new files are written through a .part and recorded when complete."""

    def __init__(self, path, environ, file_path, *, new: bool = False):
        if new:   # not on disk yet: nothing to stat, nothing anyone can see until it is complete
            super(FileResource, self).__init__(path, environ)
            self._file_path, self.file_stat, self.name = file_path, None, os.path.basename(file_path)
        else:
            super().__init__(path, environ, file_path)
        self._part = None
        self._size = 0

    def begin_write(self, *, content_type=None):
        target = self._file_path
        self._part = store.part_path(Path(target))
        return _Counting(open(self._part, "wb"), self)

    def end_write(self, *, with_errors):
        part, self._part = self._part, None
        if part is None:
            return
        if with_errors or self._size > intake.max_bytes():
            too_large = not with_errors
            part.unlink(missing_ok=True)
            if too_large:
                _record_oversize(self.environ, self.path, self._size)
            return
        target = Path(self._file_path)
        store.commit_part(part, target)
        self.file_stat = os.stat(target)
        _record_put(self.environ, self.path, self._size)

    def delete(self):
        super().delete()
        _after(self.environ, intake.deleted, self.path)

    def move_recursive(self, dest_path):
        super().move_recursive(dest_path)
        _after(self.environ, intake.moved, self.path, dest_path)

    def copy_move_single(self, dest_path, *, is_move):
        super().copy_move_single(dest_path, is_move=is_move)
        if is_move:
            _after(self.environ, intake.moved, self.path, dest_path)


class _Counting:
    """The PUT body's file: counts what is written and stops at the size limit (the rest is dropped)."""

    def __init__(self, f, resource: StoreFile):
        self.f, self.resource, self.limit = f, resource, intake.max_bytes()

    def write(self, data: bytes) -> None:
        self.resource._size += len(data)
        if self.resource._size <= self.limit:
            self.f.write(data)

    def close(self) -> None:
        self.f.close()


class StoreFolder(FolderResource):
    def get_member_names(self):
        return [n for n in super().get_member_names() if not n.startswith(".")]

    def delete(self):
        super().delete()
        _after(self.environ, intake.deleted_under, self.path)

    def create_empty_resource(self, name):
        path = self.path.rstrip("/") + "/" + name
        return StoreFile(path, self.environ, self.provider._loc_to_file_path(path, self.environ), new=True)


class PbxStoreProvider(FilesystemProvider):
    """One provider for every PBX: the tree is chosen per request from the signed-in PBX's id."""

    def __init__(self, root_folder):
        super().__init__(root_folder, readonly=False, fs_opts={"follow_symlinks": False})

    def _loc_to_file_path(self, path, environ=None):
        environ = environ or {}
        pbx_id, name = environ.get(_PBX_ID), environ.get(_PBX_NAME)
        segment, _sep, rest = path.strip("/").partition("/")
        if pbx_id is None or segment != name:
            raise DAVError(HTTP_NOT_FOUND)
        try:
            return str(store.resolve(pbx_id, rest))
        except store.OutsideTree:
            raise DAVError(HTTP_FORBIDDEN, "outside the PBX's store") from None

    def get_resource_inst(self, path, environ):
        pbx_id = environ.get(_PBX_ID)
        if pbx_id is not None and _first_segment(path) == environ.get(_PBX_NAME):
            store.ensure_tree(pbx_id)
        fp = self._loc_to_file_path(path, environ)
        if not os.path.exists(fp) or os.path.islink(fp):
            return None
        if os.path.isdir(fp):
            return StoreFolder(path, environ, fp)
        return StoreFile(path, environ, fp)


def _relative(path: str) -> str:
    return path.strip("/").partition("/")[2]


def _after(environ, change, *paths) -> None:
    """Tell the rows what the PBX did to a message file, and commit."""
    change(environ[_PBX_ID], *[_relative(p) for p in paths])
    db.session.commit()


def _sidecar(pbx_id: int, relative: str):
    stem = relative.rsplit(".", 1)[0]
    try:
        return from_sidecar(store.resolve(pbx_id, stem + ".json").read_bytes())
    except (OSError, store.OutsideTree):
        return from_sidecar(b"")


def _record_put(environ, path: str, size: int) -> None:
    pbx_id, relative = environ[_PBX_ID], _relative(path)
    if not store.is_recording(relative) or intake.live_row_at(pbx_id, relative) is not None:
        db.session.rollback()
        return
    name = relative.rsplit("/", 1)[-1]
    meta = from_name(name).filled_from(_sidecar(pbx_id, relative))
    row = intake.receive(db.session.get(Pbx, pbx_id), mailbox=store.mailbox_of(relative), path=relative,
                         codec=codec_of(name), size=size, meta=meta, received_at=clock.now())
    reason = row.reason
    db.session.commit()   # the row is durable before the PUT is answered
    if reason:
        raise DAVError(_STATUS[reason], str(intake.MESSAGES[reason]))


def _record_oversize(environ, path: str, size: int) -> None:
    pbx_id, relative = environ[_PBX_ID], _relative(path)
    if store.is_recording(relative):
        name = relative.rsplit("/", 1)[-1]
        intake.receive(db.session.get(Pbx, pbx_id), mailbox=store.mailbox_of(relative), path=None,
                       codec=codec_of(name), size=size, meta=from_name(name))
        db.session.commit()
    raise DAVError(413, str(intake.MESSAGES["too_large"]))


def make_dav_app(flask_app: Flask):
    root = flask_app.extensions["settings"].voicemail_dir
    os.makedirs(root, exist_ok=True)
    config = {
        "provider_mapping": {"/": PbxStoreProvider(root)},
        "http_authenticator": {"domain_controller": PbxDomainController, "accept_basic": True,
                               "accept_digest": False, "default_to_digest": False, "trusted_auth_header": None},
        "lock_storage": None, "property_manager": None, "verbose": 1,
        "logging": {"enable": False, "enable_loggers": []},
        "dir_browser": {"enable": False},
        "mount_path": PREFIX,
    }
    dav = WsgiDAVApp(config)

    def in_app_context(environ, start_response):
        with flask_app.app_context():
            try:
                yield from dav(environ, start_response)
            finally:
                db.session.remove()
    return in_app_context


def mount(flask_app: Flask) -> None:
    """Serve /dav/ beside the Flask routes, in the same process (gunicorn's workers serve both)."""
    flask_app.wsgi_app = DispatcherMiddleware(flask_app.wsgi_app, {PREFIX: make_dav_app(flask_app)})

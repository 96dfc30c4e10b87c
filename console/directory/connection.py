"""One reusable python-ldap connection per process: bound once, reconnected after a server restart.

python-ldap has no pool and its ReconnectLDAPObject retries only once and only in the *_s methods, so this
small wrapper does the same explicitly: every operation runs under a lock on the one connection; when the
server has gone away (SERVER_DOWN, CONNECT_ERROR) the connection is rebuilt — TLS and bind included — and the
operation is tried again a few times with a short pause. Large results are read with paged results.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Iterator

import ldap
from ldap.controls import SimplePagedResultsControl

log = logging.getLogger("console.directory")

PAGE_SIZE = 500
_GONE = (ldap.SERVER_DOWN, ldap.CONNECT_ERROR, ldap.UNAVAILABLE, ldap.TIMEOUT)


class DirectoryUnavailable(RuntimeError):
    """The LDAP server cannot be reached (after reconnect attempts)."""


@dataclass(frozen=True)
class LdapConfig:
    url: str
    bind_dn: str
    bind_password: str
    base_dn: str
    starttls: bool = False
    timeout: float = 5.0

    @classmethod
    def from_settings(cls, settings) -> "LdapConfig":
        return cls(url=settings.ldap_effective_url, bind_dn=settings.ldap_bind_dn,
                   bind_password=settings.ldap_bind_password, base_dn=settings.ldap_base_dn,
                   starttls=settings.ldap_starttls)


class Directory:
    def __init__(self, config: LdapConfig, retries: int = 5, retry_pause: float = 0.3):
        self.config = config
        self.retries = retries
        self.retry_pause = retry_pause
        self._conn: ldap.ldapobject.LDAPObject | None = None
        self._lock = threading.RLock()
        self.ensured: set[str] = set()  # containers known to exist (console.directory.books.ensure_book)

    @property
    def base_dn(self) -> str:
        return self.config.base_dn

    def _connect(self) -> ldap.ldapobject.LDAPObject:
        conn = ldap.initialize(self.config.url)
        conn.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
        conn.set_option(ldap.OPT_REFERRALS, 0)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, self.config.timeout)
        conn.set_option(ldap.OPT_TIMEOUT, self.config.timeout)
        if self.config.url.startswith("ldaps://") or self.config.starttls:
            conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
            conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
        if self.config.starttls and not self.config.url.startswith("ldaps://"):
            conn.start_tls_s()
        conn.simple_bind_s(self.config.bind_dn, self.config.bind_password)
        return conn

    def _run(self, operation, *args, **kwargs):
        """Run conn.<operation>(...) on the shared connection, reconnecting when the server went away.
        `operation` may also be a function of the connection (several calls that must share it)."""
        with self._lock:
            last: Exception | None = None
            for attempt in range(self.retries + 1):
                try:
                    if self._conn is None:
                        self._conn = self._connect()
                    if callable(operation):
                        return operation(self._conn)
                    return getattr(self._conn, operation)(*args, **kwargs)
                except _GONE as exc:
                    last = exc
                    self._drop()
                    if attempt < self.retries:
                        log.warning("LDAP server unreachable (%s); reconnecting", type(exc).__name__)
                        time.sleep(self.retry_pause * (attempt + 1))
            raise DirectoryUnavailable(f"LDAP server {self.config.url} unreachable: {type(last).__name__}")

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.unbind_s()
            except ldap.LDAPError:
                pass
        self._conn = None

    def close(self) -> None:
        with self._lock:
            self._drop()

    # --- reading -----------------------------------------------------------------------------------------

    def search(self, base: str, scope: int, filterstr: str, attrs: list[str] | None = None,
               limit: int = 0) -> list[tuple[str, dict[str, list[bytes]]]]:
        """All matching entries (paged), or the first `limit`. A missing base is an empty result."""
        return list(self.iter_search(base, scope, filterstr, attrs, limit))

    def iter_search(self, base: str, scope: int, filterstr: str, attrs: list[str] | None = None,
                    limit: int = 0) -> Iterator[tuple[str, dict[str, list[bytes]]]]:
        page = SimplePagedResultsControl(True, size=min(PAGE_SIZE, limit) if limit else PAGE_SIZE, cookie="")
        found = 0
        while True:
            try:
                # search and result on the same connection: a message id means nothing on a new one
                _, data, _, controls = self._run(
                    lambda conn: conn.result3(conn.search_ext(base, scope, filterstr, attrs, serverctrls=[page])))
            except ldap.NO_SUCH_OBJECT:
                return
            for dn, entry in data:
                if dn is None:  # search references
                    continue
                yield dn, entry
                found += 1
                if limit and found >= limit:
                    return
            cookie = next((c.cookie for c in controls if c.controlType == SimplePagedResultsControl.controlType),
                          b"")
            if not cookie:
                return
            page.cookie = cookie

    def search_one(self, base: str, scope: int, filterstr: str, attrs: list[str] | None = None):
        """Unpaged, for lookups that expect a handful of entries: one round trip."""
        try:
            return [(dn, e) for dn, e in self._run("search_s", base, scope, filterstr, attrs) if dn]
        except ldap.NO_SUCH_OBJECT:
            return []

    def read(self, dn: str, attrs: list[str] | None = None) -> dict[str, list[bytes]] | None:
        try:
            result = self._run("search_s", dn, ldap.SCOPE_BASE, "(objectClass=*)", attrs)
        except (ldap.NO_SUCH_OBJECT, ldap.INVALID_DN_SYNTAX):  # a DN the server cannot parse names no entry
            return None
        return result[0][1] if result else None

    def ping(self) -> bool:
        """Whether the base entry answers now; one reconnect at most (health checks must be quick)."""
        with self._lock:
            for _ in range(2):
                try:
                    if self._conn is None:
                        self._conn = self._connect()
                    self._conn.search_s(self.base_dn, ldap.SCOPE_BASE, "(objectClass=*)", ["1.1"])
                    return True
                except _GONE:
                    self._drop()
                except ldap.LDAPError:
                    return False
            return False

    # --- writing -----------------------------------------------------------------------------------------

    def add(self, dn: str, modlist: list) -> None:
        self._run("add_s", dn, modlist)

    def modify(self, dn: str, modlist: list) -> None:
        if modlist:
            self._run("modify_s", dn, modlist)

    def delete(self, dn: str) -> bool:
        try:
            self._run("delete_s", dn)
            return True
        except ldap.NO_SUCH_OBJECT:
            return False

    def ensure(self, dn: str, attrs: dict[str, list[bytes]]) -> None:
        """Create a container entry unless it exists."""
        try:
            self._run("add_s", dn, list(attrs.items()))
        except ldap.ALREADY_EXISTS:
            pass


def get_directory() -> Directory:
    """The process's shared Directory for the current app (created on first use)."""
    from flask import current_app
    directory = current_app.extensions.get("directory")
    if directory is None:
        directory = Directory(LdapConfig.from_settings(current_app.extensions["settings"]))
        current_app.extensions["directory"] = directory
    return directory

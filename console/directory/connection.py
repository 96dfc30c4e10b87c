"""One reusable python-ldap connection per process: bound once, reconnected after a server restart.

python-ldap has no pool and its ReconnectLDAPObject retries only once and only in the *_s methods, so this
small wrapper does the same explicitly: every operation runs under a lock on the one connection; when the
server has gone away (SERVER_DOWN, CONNECT_ERROR) the connection is rebuilt — TLS and bind included — and the
operation is tried again a few times with a short pause. Large results are read with paged results.

Nothing waits longer than it is told to (LDAP_CONNECT_TIMEOUT, LDAP_TIMEOUT): a server that accepts the
connection but does not answer (hung, stopped) makes the operation fail with DirectoryUnavailable after the
operation timeout — python-ldap's synchronous calls would otherwise wait forever — and is not retried;
reconnecting after SERVER_DOWN stops once connect and operation timeout together have passed; and a request
waits at most the operation timeout for the connection another thread is using.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Iterator

import ldap
import ldap.dn
from ldap.controls import SimplePagedResultsControl

log = logging.getLogger("console.directory")

PAGE_SIZE = 500
_GONE = (ldap.SERVER_DOWN, ldap.CONNECT_ERROR, ldap.UNAVAILABLE)


class DirectoryUnavailable(RuntimeError):
    """The LDAP server cannot be reached (after reconnect attempts)."""


@dataclass(frozen=True)
class LdapConfig:
    url: str
    bind_dn: str
    bind_password: str
    base_dn: str
    starttls: bool = False
    connect_timeout: float = 2.0  # seconds for the TCP (and TLS) connection
    timeout: float = 5.0          # seconds for any one answer: bind, search, write

    @classmethod
    def from_settings(cls, settings) -> "LdapConfig":
        return cls(url=settings.ldap_effective_url, bind_dn=settings.ldap_bind_dn,
                   bind_password=settings.ldap_bind_password, base_dn=settings.ldap_base_dn,
                   starttls=settings.ldap_starttls, connect_timeout=settings.ldap_connect_timeout,
                   timeout=settings.ldap_timeout)


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
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, self.config.connect_timeout)
        conn.set_option(ldap.OPT_TIMEOUT, self.config.timeout)  # libldap's own synchronous calls (StartTLS)
        conn.timeout = self.config.timeout  # python-ldap's *_s methods and result3(): -1 would wait forever
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
        if not self._lock.acquire(timeout=self.config.timeout):
            raise DirectoryUnavailable(f"LDAP server {self.config.url}: the connection stayed busy for "
                                       f"{self.config.timeout:g} s")
        try:
            deadline = time.monotonic() + self.config.connect_timeout + self.config.timeout
            last: Exception | None = None
            for attempt in range(self.retries + 1):
                try:
                    if self._conn is None:
                        self._conn = self._connect()
                    if callable(operation):
                        return operation(self._conn)
                    return getattr(self._conn, operation)(*args, **kwargs)
                except ldap.TIMEOUT as exc:
                    self._drop()  # an answer may still arrive on it: never reuse the connection
                    raise DirectoryUnavailable(f"LDAP server {self.config.url} did not answer within "
                                               f"{self.config.timeout:g} s") from exc
                except _GONE as exc:
                    last = exc
                    self._drop()
                    pause = self.retry_pause * (attempt + 1)
                    if attempt < self.retries and time.monotonic() + pause < deadline:
                        log.warning("LDAP server unreachable (%s); reconnecting", type(exc).__name__)
                        time.sleep(pause)
                    else:
                        break
            raise DirectoryUnavailable(f"LDAP server {self.config.url} unreachable: {type(last).__name__}")
        finally:
            self._lock.release()

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
        if not self._lock.acquire(timeout=self.config.timeout):
            return False
        try:
            for _ in range(2):
                try:
                    if self._conn is None:
                        self._conn = self._connect()
                    self._conn.search_s(self.base_dn, ldap.SCOPE_BASE, "(objectClass=*)", ["1.1"])
                    return True
                except _GONE:
                    self._drop()
                except ldap.LDAPError:
                    self._drop()
                    return False
            return False
        finally:
            self._lock.release()

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

    def rename(self, dn: str, new_rdn: str) -> None:
        """Give an entry (and with it its whole subtree) a new RDN under the same parent."""
        self._run("rename_s", dn, new_rdn, None, 1)

    def delete_tree(self, dn: str) -> int:
        """Delete an entry with everything below it (leaves first); returns how many entries went."""
        dns = [found for found, _ in self.iter_search(dn, ldap.SCOPE_SUBTREE, "(objectClass=*)", ["1.1"])]
        for found in sorted(dns, key=lambda d: len(ldap.dn.str2dn(d)), reverse=True):
            self.delete(found)
        return len(dns)

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

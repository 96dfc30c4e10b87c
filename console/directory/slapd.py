"""The project's own slapd: one set-up for `make run`, the test suite and bench/.

A cn=config directory is built with `slapadd -n0` from a single LDIF in which the schemas (core, cosine,
inetorgperson) come BEFORE the database entry — otherwise slapd refuses the number and name indexes
("index attribute undefined"). The mdb map is large (olcDbMaxSize) so big books do not hit MDB_MAP_FULL;
the file only grows as needed. Production does not use this: it points LDAP_URL at an existing directory.

`python -m console.directory.slapd` runs the embedded server in the foreground (console/devrun.py).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import ldap
import ldap.dn

from console.ports import free_port

SCHEMA_DIR = Path(os.environ.get("SLAPD_SCHEMA_DIR", "/etc/ldap/schema"))
MODULE_DIR = Path(os.environ.get("SLAPD_MODULE_DIR", "/usr/lib/ldap"))
SCHEMAS = ("core", "cosine", "inetorgperson")
INDEXES = ("objectClass eq", "uid eq", "employeeType eq",
           "telephoneNumber,mobile,homePhone eq",
           "cn,sn,givenName,displayName,o,mail eq,sub")
MAX_SIZE = 4 * 1024 ** 3


def _find(command: str) -> str:
    for folder in (os.environ.get("PATH", "").split(os.pathsep) + ["/usr/sbin", "/usr/local/sbin", "/sbin"]):
        candidate = Path(folder) / command
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise FileNotFoundError(f"{command} not found: install the Debian packages slapd and ldap-utils "
                            "(bash scripts/setup.sh)")


def _hashed(password: str) -> str:
    """{SSHA} so the root password is not stored in clear in cn=config."""
    import base64
    import hashlib
    salt = os.urandom(8)
    return "{SSHA}" + base64.b64encode(hashlib.sha1(password.encode() + salt).digest() + salt).decode()


def _posix_regex_escape(text: str) -> str:
    """`text` as a literal in a POSIX extended regular expression (what slapd compiles)."""
    return "".join("\\" + char if char in ".[]()*+?{}|^$\\" else char for char in text)


def access_rules(suffix: str) -> list[str]:
    """The access rules of the phonebook database, in order; the console binds as the root and bypasses them.

    A PBX's reader account (cn=reader,ou=<PBX>,ou=pbx,<suffix>) reads its own PBX's subtree — shared and
    private books, which the PBX needs for the per-user reverse lookup — and nothing else. No tenant's name
    is ever part of a regular expression: the one pattern below is fixed (it only finds, in the normalised DN
    of the entry being read, the RDN right below ou=pbx, honouring backslash escapes), and the account it
    names is then compared as an exact DN (`dn.exact,expand`), so a "." or "*" in a PBX name is a plain
    character. Every reader may search (not read) the two container entries above, so a search from the
    directory root works and returns its own PBX's entries only.
    For an existing directory (LDAP_URL), give its phonebook database these rules.
    """
    suffix = ldap.dn.dn2str(ldap.dn.str2dn(suffix)).lower()
    pbx_root = f"ou=pbx,{suffix}"
    char = r"([^,\\]|\\.)"  # a character of an RDN in the normalised DN: no comma unless backslash-escaped
    # $1, $2: the RDNs below the PBX (any number); $3: the value of the PBX's RDN; $4: its last character
    pattern = rf"^({char}+,)*ou=({char}+),{_posix_regex_escape(pbx_root)}$"
    return [
        "to attrs=userPassword by anonymous auth by * none",
        f'to dn.base="{suffix}" attrs=entry by users search by * none',
        f'to dn.base="{pbx_root}" attrs=entry by users search by * none',
        f'to dn.regex="{pattern}" by dn.exact,expand="cn=reader,ou=$3,{pbx_root}" read by * none',
        "to * by * none",
    ]


class Slapd:
    """A slapd on loopback with its own config and data directory (never the Debian system service)."""

    def __init__(self, root: Path | str, *, port: int | None = None, suffix: str = "dc=stimme,dc=local",
                 root_pw: str = "stimme-dev-ldap", durable: bool = True):
        self.root = Path(root)
        self.port = port or free_port()
        self.suffix = suffix
        self.root_dn = f"cn=admin,{suffix}"
        self.root_pw = root_pw
        self.durable = durable  # False (tests, bench): no fsync per write — a crash may lose recent writes
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def config_dir(self) -> Path:
        return self.root / "slapd.d"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def config_ldif(self) -> str:
        parts = [
            "dn: cn=config\nobjectClass: olcGlobal\ncn: config\n"
            f"olcPidFile: {self.root / 'slapd.pid'}\nolcLogLevel: none\n"
            # The PBX pages through nothing: big books are read by the console with paged results.
            "olcSizeLimit: 1000\n",
            f"dn: cn=module{{0}},cn=config\nobjectClass: olcModuleList\ncn: module{{0}}\n"
            f"olcModulePath: {MODULE_DIR}\nolcModuleLoad: back_mdb\n",
            "dn: cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: schema\n",
        ]
        for name in SCHEMAS:
            parts.append((SCHEMA_DIR / f"{name}.ldif").read_text())
        parts += [
            "dn: olcDatabase={-1}frontend,cn=config\nobjectClass: olcDatabaseConfig\n"
            "objectClass: olcFrontendConfig\nolcDatabase: {-1}frontend\n",
            "dn: olcDatabase={0}config,cn=config\nobjectClass: olcDatabaseConfig\nolcDatabase: {0}config\n"
            "olcAccess: {0}to * by * none\n",
            "dn: olcDatabase={1}mdb,cn=config\nobjectClass: olcDatabaseConfig\nobjectClass: olcMdbConfig\n"
            f"olcDatabase: {{1}}mdb\nolcDbDirectory: {self.data_dir}\nolcSuffix: {self.suffix}\n"
            f"olcRootDN: {self.root_dn}\nolcRootPW: {_hashed(self.root_pw)}\nolcDbMaxSize: {MAX_SIZE}\n"
            + ("" if self.durable else "olcDbNoSync: TRUE\n")
            + "".join(f"olcDbIndex: {index}\n" for index in INDEXES)
            + "".join(f"olcAccess: {{{n}}}{rule}\n" for n, rule in enumerate(access_rules(self.suffix))),
        ]
        return "\n".join(p.rstrip("\n") + "\n" for p in parts)

    def prepare(self) -> None:
        """Build the config directory afresh on every start, so a directory made by an older version gets the
        current access rules (the config holds nothing else worth keeping); the data directory survives.
        The new config is built beside the old one and swapped in only when slapadd succeeded."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fresh = self.root / "slapd.d.new"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir(parents=True)
        result = subprocess.run([_find("slapadd"), "-n0", "-F", str(fresh)], input=self.config_ldif(),
                                text=True, capture_output=True)
        if result.returncode:
            shutil.rmtree(fresh, ignore_errors=True)
            raise RuntimeError(f"slapadd -n0 failed: {result.stderr.strip()}")
        shutil.rmtree(self.config_dir, ignore_errors=True)
        fresh.rename(self.config_dir)

    def start(self, timeout: float = 15) -> None:
        self.prepare()
        self.process = subprocess.Popen([_find("slapd"), "-F", str(self.config_dir), "-h", self.url, "-d", "0"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd exited: {self.process.stderr.read().decode(errors='replace')[-2000:]}")
            if self._answers():
                self._ensure_suffix()
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"slapd did not answer on {self.url} within {timeout} s")

    def _answers(self) -> bool:
        conn = ldap.initialize(self.url)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, 1)
        try:
            conn.simple_bind_s(self.root_dn, self.root_pw)
            return True
        except ldap.LDAPError:
            return False
        finally:
            conn.unbind_s()

    def _ensure_suffix(self) -> None:
        conn = ldap.initialize(self.url)
        conn.simple_bind_s(self.root_dn, self.root_pw)
        try:
            rdn_value = self.suffix.split(",")[0].split("=", 1)[1]
            conn.add_s(self.suffix, [("objectClass", [b"dcObject", b"organization"]),
                                     ("dc", [rdn_value.encode()]), ("o", [b"stimme"])])
        except ldap.ALREADY_EXISTS:
            pass
        finally:
            conn.unbind_s()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def embedded(settings) -> Slapd:
    """The slapd `make run` starts when LDAP_URL is empty: data under instance/slapd, a fixed loopback port."""
    from console.config import INSTANCE_DIR
    return Slapd(INSTANCE_DIR / "slapd", port=settings.ldap_embedded_port, suffix=settings.ldap_base_dn,
                 root_pw=settings.ldap_bind_password)


def main() -> int:
    from console.config import Settings
    settings = Settings.from_env()
    if settings.ldap_url:
        print(f"slapd: LDAP_URL is set ({settings.ldap_url}); the embedded slapd is not needed", flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
        return 0
    server = embedded(settings)
    server.start()
    print(f"  slapd: {server.url} base {server.suffix}", flush=True)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    try:
        while not stopping and server.process and server.process.poll() is None:
            time.sleep(0.3)
    finally:
        code = server.process.poll() if server.process else 0
        server.stop()
    return 0 if stopping else (code or 1)


if __name__ == "__main__":
    sys.exit(main())

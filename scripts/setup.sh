#!/usr/bin/env bash
# Installs everything the console needs on a fresh Debian machine, idempotently:
# Debian packages (only the missing ones), a virtual environment in .venv/ with the
# pinned Python packages, and the front-end libraries from the npm lock file.
set -euo pipefail
cd "$(dirname "$0")/.."

# espeak-ng: speech for the voicemail tests; chromium: the browser tests (tests/browser/) drive it with
# Playwright, which never downloads a browser
APT_PACKAGES=(python3-venv python3-dev build-essential slapd ldap-utils libldap2-dev libsasl2-dev espeak-ng chromium)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi

# Reinstall Python packages only when pyproject.toml changed.
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    echo "setup: installing Python packages"
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e '.[test]'
    rm -f .venv/.installed-*
    touch "$stamp"
fi

# Front-end libraries from the npm registry, exactly as locked.
npm_stamp="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
if [ ! -f "$npm_stamp" ]; then
    echo "setup: installing front-end packages"
    npm ci --no-audit --no-fund --loglevel=error
    touch "$npm_stamp"
fi
mkdir -p static/vendor instance
cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
cp node_modules/@picocss/pico/css/pico.min.css static/vendor/pico.min.css

# Compiled message catalogues (German; English is the source language).
.venv/bin/pybabel compile -d translations >/dev/null

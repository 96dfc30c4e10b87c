"""The client's address and scheme behind the reverse proxy (PROXY_HOPS).

Behind the proxy every request comes from the proxy's address, so without this the sign-in throttle would lock
everybody out for one attacker's guesses, /metrics' address check would admit the whole internet through a
loopback proxy, and the audit log would name the proxy. The proxy appends the client's address to
X-Forwarded-For; only the last PROXY_HOPS entries are believed, so a client cannot name an address of its own.
"""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


class TrustedProxies:
    """WSGI middleware; reads PROXY_HOPS per request (settings can change in tests and on reload)."""

    def __init__(self, wsgi_app, flask_app: Flask):
        self.wsgi_app, self.flask_app = wsgi_app, flask_app
        self._fixed: dict[int, ProxyFix] = {}

    def __call__(self, environ, start_response):
        hops = self.flask_app.extensions["settings"].proxy_hops
        if hops <= 0:
            return self.wsgi_app(environ, start_response)
        if hops not in self._fixed:
            self._fixed[hops] = ProxyFix(self.wsgi_app, x_for=hops, x_proto=hops)
        return self._fixed[hops](environ, start_response)


def install(app: Flask) -> None:
    """Last around the app, so the WebDAV mount beside the Flask routes sees the client's address too."""
    app.wsgi_app = TrustedProxies(app.wsgi_app, app)

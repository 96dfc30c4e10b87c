"""gunicorn's logger for the console (``--logger-class console.accesslog.RedactingLogger``): the access log and
the error log as gunicorn writes them, with the secret URL segments redacted (console.logs.redact)."""
from __future__ import annotations

from gunicorn.glogging import Logger

from console.logs import RedactSecrets


class RedactingLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        for logger in (self.access_log, self.error_log):
            if not any(isinstance(f, RedactSecrets) for f in logger.filters):
                logger.addFilter(RedactSecrets())

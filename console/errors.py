"""The error a service raises when a request breaks a rule: field → message in the user's language."""
from __future__ import annotations


class RuleViolation(Exception):
    """A change was refused. `errors` maps a form field (or "" for the whole form) to a lazy-translated message."""

    def __init__(self, errors: dict[str, object] | None = None, /, **fields: object):
        self.errors = {**(errors or {}), **fields}
        super().__init__("; ".join(f"{k or 'form'}: {v}" for k, v in self.errors.items()))

    def text(self, separator: str = " ") -> str:
        """Every message as one text, for a flash message, a CLI error or a run report."""
        return separator.join(str(message) for message in self.errors.values())

"""Staff pages."""
from console.voicemail.blueprint import bp  # noqa: F401

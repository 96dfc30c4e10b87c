"""Logins, roles, the tenancy scope and per-object permission checks."""

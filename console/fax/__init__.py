"""Fax server (§4.3): fax to e-mail as PDF, e-mail to fax from one PDF, delivery reports, gateway hand-over."""

"""The start page: what each role sees first (counts, demo licences, open fault reports, maintenance)."""

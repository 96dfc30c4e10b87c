"""The one scheduler process: a single leader runs the declared tickers (console.jobs.registry)."""

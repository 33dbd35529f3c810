"""Benchmarks: the ledger against raw SQLite and the eventsourcing library (`make bench`)."""

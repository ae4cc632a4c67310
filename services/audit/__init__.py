"""audit: append-only, hash-chained log of every event, and the auditor API."""

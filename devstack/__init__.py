"""Local runtime: starts real Kafka, PostgreSQL servers, an SMTP sink and every service
as separate processes. Used by `scripts/start` (the whole system) and by the test fixtures."""

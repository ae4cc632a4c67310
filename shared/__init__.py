"""The project's shared library: event contracts, outbox/inbox, sealing, auth, db, observability."""

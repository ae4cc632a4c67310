"""Care-unit mailbox: `python -m services.messaging.careunit`. Owns the care-unit database."""

"""Patient mailbox: `python -m services.messaging.patient`. Owns the patient database."""

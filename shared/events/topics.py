"""Kafka topic names. One topic per emitting service; partition key is the conversation id
(or the aggregate id where there is no conversation), so order within it is kept."""

IDENTITY = "identity.events"
FORMS = "forms.events"
PATIENT_MAILBOX = "patient-mailbox.events"
CAREUNIT_MAILBOX = "careunit-mailbox.events"
ROUTING = "routing.events"
NOTIFIER = "notifier.events"
AUDIT = "audit.events"

ALL = (IDENTITY, FORMS, PATIENT_MAILBOX, CAREUNIT_MAILBOX, ROUTING, NOTIFIER, AUDIT)

# State that is announced once (units, staff, patients registered; forms published) and that
# a new consumer or a rebuilt projection must be able to read from the start: these topics
# keep their events for ever. (Not compacted: several event types share a key.)
# The audit topic too: its signed checkpoints are the log's anchor outside its database.
STATE = (IDENTITY, FORMS, AUDIT)


def dead_letter(consumer: str) -> str:
    """Each consumer has its own dead-letter topic, so an operator sees who rejected what."""
    return f"dlq.{consumer}"

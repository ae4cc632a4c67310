"""Alembic environment of the patient mailbox: the tables its revisions are compared with."""

from services.messaging.patient import tables
from shared.migrations import run_env

run_env([tables.metadata])

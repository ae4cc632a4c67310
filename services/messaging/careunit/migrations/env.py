"""Alembic environment of the careunit mailbox: the tables its revisions are compared with."""

from services.messaging.careunit import tables
from shared.migrations import run_env

run_env([tables.metadata])

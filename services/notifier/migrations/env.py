"""Alembic environment of notifier: the tables its revisions are compared with."""

from services.notifier import tables
from shared.migrations import run_env

run_env([tables.metadata])

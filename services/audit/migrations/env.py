"""Alembic environment of audit: the tables its revisions are compared with."""

from services.audit import tables
from shared.migrations import run_env

run_env([tables.metadata, tables.access_metadata])

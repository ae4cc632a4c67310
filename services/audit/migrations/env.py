"""Alembic environment of audit: the tables its revisions are compared with."""

from services.audit import tables, tables_stream
from shared.migrations import run_env

run_env([tables.metadata, tables.access_metadata, tables_stream.metadata])

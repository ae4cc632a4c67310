"""Alembic environment of forms: the tables its revisions are compared with."""

from services.forms import tables
from shared.migrations import run_env

run_env([tables.metadata, tables.access_metadata])

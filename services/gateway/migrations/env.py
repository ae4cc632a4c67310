"""Alembic environment of the gateway: the tables its revisions are compared with."""

from services.gateway import tables
from shared.migrations import run_env

run_env([tables.metadata])

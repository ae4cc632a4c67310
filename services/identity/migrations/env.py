"""Alembic environment of identity: the tables its revisions are compared with."""

from services.identity import tables
from services.identity.catalogue import tables as catalogue
from services.identity.oidc import tables as oidc
from services.identity.patients import tables as patients
from shared.migrations import run_env

run_env([tables.metadata, patients.metadata, oidc.metadata, catalogue.metadata])

"""The staff catalogue (like HSA): care units, staff with HSA-id, name, profession and
validity, and their unit memberships with roles and validity.

Read from LDIF (what HSA exports), CSV or JSON (formats.py), applied to identity's database
with one event per change through the outbox (sync.py), and imported from the command line:

    python -m services.identity.catalogue import FILE...            # the complete catalogue
    python -m services.identity.catalogue import --merge FILE...    # add/update listed people
    python -m services.identity.catalogue check FILE...             # validate only

The seed files name a catalogue to merge at start-up; identity sweeps validity dates
periodically, so a date that passes takes effect without an import."""

from services.identity.catalogue.formats import read_all, read_catalogue
from services.identity.catalogue.model import Catalogue, CatalogueError, CatalogueStaff
from services.identity.catalogue.sync import CatalogueSync, access_state, revoke_staff_sessions

__all__ = ["Catalogue", "CatalogueError", "CatalogueStaff", "CatalogueSync", "access_state",
           "read_all", "read_catalogue", "revoke_staff_sessions"]

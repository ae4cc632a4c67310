"""Schema history of the audit database. Triggers make the log append-only in the database
itself, so no code path (or operator with the service's role) can quietly edit history; the
hash chain shows it if someone with more rights does."""

from __future__ import annotations

from sqlalchemy import Connection, text

from services.audit import tables
from services.audit.domain import GENESIS
from shared.db import Migration

_GUARDS = """
CREATE FUNCTION audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_records is append-only (% refused)', TG_OP;
END $$;

CREATE TRIGGER audit_records_no_update_delete BEFORE UPDATE OR DELETE ON audit_records
  FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();

CREATE FUNCTION audit_head_advance_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR NEW.seq <> OLD.seq + 1 THEN
    RAISE EXCEPTION 'audit chain head only moves forward by one';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER audit_chain_head_forward BEFORE UPDATE OR DELETE ON audit_chain_head
  FOR EACH ROW EXECUTE FUNCTION audit_head_advance_only();
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();
"""


def _initial(conn: Connection) -> None:
    tables.metadata.create_all(conn, tables=[tables.inbox, tables.records, tables.chain_head])
    conn.execute(tables.chain_head.insert().values(id=1, seq=0, hash=GENESIS))
    conn.execute(text(_GUARDS))  # text() escapes the % of RAISE for the driver


MIGRATIONS = [Migration(1, "inbox, append-only hash-chained audit log", _initial),
              Migration(2, "staff access projection (revocation)",
                        tables.access_metadata.create_all)]

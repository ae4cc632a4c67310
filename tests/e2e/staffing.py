"""Staffing the running system through its staff catalogue, as a region's HSA export would:
write an LDIF file and run `python -m services.identity.catalogue import` against the
stack's identity database (the same CLI an operator runs)."""

from __future__ import annotations

import asyncio
import io
import os
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import ldif

from devstack.config import REPO_ROOT
from devstack.services import service_specs

SERVICES = ["renew_prescription", "advice"]


def hsa_id(prefix: str = "E") -> str:
    """A fresh HSA-id in the Stockholm series, unique per test run."""
    return f"SE2321000016-{prefix}{uuid.uuid4().hex[:10].upper()}"


@dataclass
class Unit:
    unit_id: str
    name: str
    services: list[str] = field(default_factory=lambda: list(SERVICES))


@dataclass
class Staff:
    hsa_id: str
    profession: str
    roles: dict[str, list[str]]  # unit id -> roles
    valid_to: str | None = None  # YYYYMMDD


def write_ldif(path: Path, units: list[Unit], people: list[Staff],
               region: str = "stockholm") -> Path:
    out = io.BytesIO()
    writer = ldif.LDIFWriter(out)
    base = "o=Region Stockholm,c=SE"
    for unit in units:
        writer.unparse(f"hsaIdentity={unit.unit_id},{base}", {
            "objectClass": ["organizationalUnit", "hsaHealthCareUnit"],
            "hsaIdentity": [unit.unit_id], "ou": [unit.name],
            "mail": [f"inkorg.{unit.unit_id[-6:].lower()}@vard.example"],
            "mvkRegion": [region], "mvkEService": unit.services})
    for person in people:
        dn = f"hsaIdentity={person.hsa_id},{base}"
        attrs = {"objectClass": ["hsaPerson"], "hsaIdentity": [person.hsa_id],
                 "givenName": ["Testperson"], "sn": [person.hsa_id[-6:]],
                 "mvkProfession": [person.profession],
                 "mail": [f"{person.hsa_id[-10:].lower()}@personal.vard.example"]}
        if person.valid_to:
            attrs["hsaEndDate"] = [f"{person.valid_to}000000Z"]
        writer.unparse(dn, attrs)
        for n, (unit_id, roles) in enumerate(person.roles.items()):
            writer.unparse(f"hsaIdentity={person.hsa_id}-U{n},{dn}", {
                "objectClass": ["hsaCommission"], "hsaIdentity": [f"{person.hsa_id}-U{n}"],
                "hsaCommissionMember": [person.hsa_id], "hsaHealthCareUnitMember": [unit_id],
                "mvkRole": roles})
    path.write_bytes(out.getvalue())
    return path


async def import_catalogue(stack, *files: Path, merge: bool) -> str:
    """Run the import CLI with identity's environment; returns its report line."""
    identity = next(s for s in service_specs(stack.cfg) if s.name == "identity")
    args = ["import", *(["--merge"] if merge else []), *map(str, files)]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.identity.catalogue", *args, cwd=REPO_ROOT,
        env={**os.environ, **identity.env}, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode().strip()

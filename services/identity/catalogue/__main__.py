"""`python -m services.identity.catalogue {import,check} [--merge] FILE...`

Reads identity's settings from the environment (IDENTITY_DATABASE_URL, IDENTITY_REGION...),
applies pending migrations, and imports in one transaction: an invalid file changes nothing.
Events reach the other services through identity's outbox relay. Exit status: 0 done,
2 invalid catalogue or usage."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from services.identity.bootstrap import outbox
from services.identity.catalogue.formats import read_all
from services.identity.catalogue.model import Catalogue, CatalogueError
from services.identity.catalogue.sync import CatalogueSync
from services.identity.migrations import MIGRATIONS
from services.identity.settings import IdentitySettings
from shared import db
from shared.events import Source

SERVICE = "identity"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.identity.catalogue",
                                     description="Import or check staff catalogue files.")
    parser.add_argument("command", choices=["import", "check"])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--merge", action="store_true",
                        help="add and update the people listed; remove nobody")
    return parser


async def _import(catalogue: Catalogue, *, full: bool) -> dict[str, int]:
    settings = IdentitySettings()
    engine = db.make_engine(settings.database_url, pool_size=1)
    try:
        await MIGRATIONS.upgrade(engine)
        sync = CatalogueSync(outbox(),
                             Source(service=SERVICE, region=settings.region))
        async with engine.begin() as conn:
            return dict(await sync.apply(conn, catalogue, full=full))
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        catalogue = read_all(args.files)
        if args.command == "check":
            print(f"ok: {len(catalogue.care_units)} units, {len(catalogue.staff)} people")
            return 0
        report = asyncio.run(_import(catalogue, full=not args.merge))
    except (CatalogueError, OSError) as exc:
        print(f"catalogue not imported: {exc}", file=sys.stderr)
        return 2
    print("imported: " + ", ".join(f"{k} {v}" for k, v in sorted(report.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())

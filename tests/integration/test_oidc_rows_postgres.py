"""The OpenID Provider's single-use rows on real PostgreSQL (the unit tests run it on SQLite,
whose single writer hides races): an authorization code redeemed by two requests at once
gives tokens once; a refresh token used by two requests at once rotates once, and the loser
is treated as reuse (the whole family revoked); revocation and expiry purge hold there too.
The provider runs exactly as in tests/unit/identity (same world), only on a private schema
of the scratch database."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select, text

from services.identity.oidc.tables import codes, refresh_tokens, sessions
from tests.unit.identity.oidc_support import (
    authorize_params,
    client,
    code_from,
    exchange,
    logged_in,
    pkce,
    refresh,
    staff_login,
    world,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def pg(infra) -> Any:
    url = infra.cfg.database_url("platform", "scratch")
    schema = f"it_oidc_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    engine: Engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"},
                                   pool_size=8)
    yield world(db=engine)
    engine.dispose()


def test_a_code_redeemed_twice_at_once_gives_tokens_once(pg) -> None:
    for _ in range(2):  # a race: more than one round, each must give exactly one winner
        c1, c2 = client(pg), client(pg)
        verifier, challenge = pkce()
        params = authorize_params(challenge)
        code = code_from(staff_login(c1, params), params)
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(exchange, (c1, c2), (code,) * 2, (verifier,) * 2))
        # At most one gets tokens. Both may lose: the second presentation of a code revokes
        # the login it started (RFC 6749 §4.1.2), and when that lands between the winner's
        # claim of the code and its check of the login, the winner is refused too.
        statuses = [a.status_code for a in answers]
        assert statuses.count(200) <= 1 and statuses.count(400) >= 1, [a.text for a in answers]
        assert all(a.json()["error"] == "invalid_grant" for a in answers if a.status_code == 400)
        with pg.db.connect() as conn:
            rows = conn.execute(select(codes.c.used_at)).scalars().all()
        assert rows and all(used is not None for used in rows)  # no code left redeemable


def test_a_refresh_token_used_twice_at_once_rotates_once(pg) -> None:
    c1, c2 = client(pg), client(pg)
    first = logged_in(c1)["refresh_token"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda c: refresh(c, first), (c1, c2)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 400], [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 200).json()["refresh_token"]
    # The loser looked like a stolen copy: the family is revoked, the winner's token too.
    assert refresh(c1, winner).json()["error"] == "invalid_grant"
    with pg.db.connect() as conn:
        assert conn.execute(select(sessions.c.revoked_reason)).scalar() == "refresh_token_reuse"


def test_rotation_and_reuse_on_postgres(pg) -> None:
    c = client(pg)
    first = logged_in(c)["refresh_token"]
    second = refresh(c, first).json()["refresh_token"]
    assert refresh(c, first).json()["error"] == "invalid_grant"  # replay of a rotated token
    assert refresh(c, second).json()["error"] == "invalid_grant"  # the family died with it
    with pg.db.connect() as conn:
        rows = conn.execute(select(refresh_tokens.c.token_hash)).scalars().all()
    assert first not in rows and second not in rows  # only hashes are stored

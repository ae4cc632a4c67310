#!/bin/bash
# First start (empty $PGDATA): initdb with SCRAM passwords, accept password logins from the
# container network, run init-databases with the server listening on its socket only, stop.
# Every start: run the server in the foreground with the given extra arguments (`-c ...`).
#   POSTGRES_PASSWORD  the superuser's password (required on the first start)
#   APP_DATABASES, APP_DB_PASSWORD  see init-databases
set -euo pipefail
if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
    : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set for the first start}"
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    initdb -D "$PGDATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
        --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    # Reached only over the compose network (or a published loopback port): every address,
    # always with a password.
    echo "host all all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
    echo "host all all ::/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    init-databases
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"

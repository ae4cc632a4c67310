#!/bin/sh
# Creates the application databases of one PostgreSQL server for docker-compose.yml. The
# image's entrypoint runs it once, when the server's data volume is first initialised, with
# the server listening on its unix socket only; later starts keep what is in the volume.
#
# Same layout as devstack/postgres.py: each database gets a login role of the same name that
# owns it. Beyond that, PUBLIC loses CONNECT, so the services sharing the platform server
# (identity, forms, notifier, audit) cannot open each other's databases.
#
#   APP_DATABASES    space-separated database names, e.g. "identity forms notifier audit"
#   APP_RUNTIME_ROLES  databases that also get a role "<db>_app" that may only connect (the
#                    service's migration step, run as the owner, grants its table rights)
#   APP_DB_PASSWORD  password of every role created here (development only)
set -e

if [ -z "${APP_DATABASES:-}" ] || [ -z "${APP_DB_PASSWORD:-}" ]; then
    echo "postgres-init: APP_DATABASES and APP_DB_PASSWORD must be set" >&2
    exit 1
fi

for db in $APP_DATABASES; do
    echo "postgres-init: role and database $db"
    # psql variables (:"db" quotes an identifier, :'pw' a literal) keep the values out of
    # the SQL text; they are interpolated in scripts read from stdin, not in -c commands.
    psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
         -v db="$db" -v pw="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE :"db" WITH LOGIN PASSWORD :'pw';
CREATE DATABASE :"db" OWNER :"db";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
done

for db in ${APP_RUNTIME_ROLES:-}; do
    echo "postgres-init: runtime role ${db}_app"
    psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
         -v db="$db" -v app="${db}_app" -v pw="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE :"app" WITH LOGIN PASSWORD :'pw';
GRANT CONNECT ON DATABASE :"db" TO :"app";
SQL
done

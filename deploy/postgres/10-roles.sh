#!/bin/sh
# The database's roles, made once when the official postgres image first initialises its volume (it runs
# the scripts of /docker-entrypoint-initdb.d as the superuser POSTGRES_USER, with POSTGRES_DB made).
#
# complaints_owner owns the database and so every table: only the migration step logs in as it. Each
# service logs in as a role of its own, which the migration step grants only the tables that service
# uses (complaints.adapters.privileges). No service role may create, alter or drop anything.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v database="$POSTGRES_DB" \
    -v owner="$MIGRATION_DATABASE_PASSWORD" \
    -v intake="$INTAKE_DATABASE_PASSWORD" \
    -v routing="$ROUTING_DATABASE_PASSWORD" \
    -v delivery="$DELIVERY_DATABASE_PASSWORD" \
    -v qualification="$QUALIFICATION_DATABASE_PASSWORD" \
    -v reporting="$REPORTING_DATABASE_PASSWORD" \
    -v relay="$RELAY_DATABASE_PASSWORD" \
    -v webhooks="$WEBHOOKS_DATABASE_PASSWORD" <<'SQL'
CREATE ROLE complaints_owner LOGIN PASSWORD :'owner';
CREATE ROLE complaints_intake LOGIN PASSWORD :'intake';
CREATE ROLE complaints_routing LOGIN PASSWORD :'routing';
CREATE ROLE complaints_delivery LOGIN PASSWORD :'delivery';
CREATE ROLE complaints_qualification LOGIN PASSWORD :'qualification';
CREATE ROLE complaints_reporting LOGIN PASSWORD :'reporting';
CREATE ROLE complaints_relay LOGIN PASSWORD :'relay';
CREATE ROLE complaints_webhooks LOGIN PASSWORD :'webhooks';
ALTER DATABASE :"database" OWNER TO complaints_owner;
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO complaints_owner, complaints_intake, complaints_routing,
    complaints_delivery, complaints_qualification, complaints_reporting, complaints_relay,
    complaints_webhooks;
SQL

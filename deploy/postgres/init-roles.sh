#!/bin/sh
# Runs once, on the first start of an empty PostgreSQL volume (docker-entrypoint-initdb.d).
# dmp_owner owns the database and its schema: the one-shot `migrate` service uses it.
# dmp_app is what the API replicas log in as: rows only (read, write), never the schema, never an administrator.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE dmp_owner LOGIN PASSWORD '${DMP_OWNER_PASSWORD}';
CREATE ROLE dmp_app LOGIN PASSWORD '${DMP_APP_PASSWORD}';
CREATE DATABASE dmp OWNER dmp_owner;
SQL
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname dmp <<SQL
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO dmp_app;
-- Tables and sequences the migrations create later, as dmp_owner, are readable and writable by the application.
ALTER DEFAULT PRIVILEGES FOR ROLE dmp_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO dmp_app;
ALTER DEFAULT PRIVILEGES FOR ROLE dmp_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO dmp_app;
SQL

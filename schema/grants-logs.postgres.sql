-- newapi-observer's roles in the database holding new-api's logs on PostgreSQL (counterpart of grants-logs.sql): the
-- exporter (read-only, not logs.content) and the aggregator (reads logs, owns and writes only its own tables, in its
-- own schema). schema/grants.postgres.sql grants the exporter the rest of new-api's tables in the main database: run
-- both, in one database, or each in its own when new-api writes logs elsewhere (its LOG_SQL_DSN).
-- @LOGS_DB_NAME@ (the database holding logs: new-api's own, or its LOG_SQL_DSN one), @AGG_DB_NAME@ (the SCHEMA inside
-- that database holding the observer's tables, default `observer`; PostgreSQL has no cross-database queries) and the
-- passwords are filled in by schema/fill-grants.sh (which escapes them). Valid on PostgreSQL 15. Run as a superuser, connected to @LOGS_DB_NAME@,
-- after the new-api schema exists, with `psql -X -v ON_ERROR_STOP=1 -d @LOGS_DB_NAME@ -f -`; the whole file can be
-- re-run. The observer's tables need not exist yet: newapi-aggregator creates them at its start
-- (schema/observer-tables.postgres.sql) and default privileges give the exporter SELECT on them.

-- The exporter (the same role, limit and statement timeout as in grants.postgres.sql).
SELECT 'CREATE ROLE newapi_ro LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'newapi_ro') \gexec
ALTER ROLE newapi_ro WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '@RO_PASSWORD@' CONNECTION LIMIT 10;
ALTER ROLE newapi_ro SET statement_timeout = '30s';
GRANT CONNECT ON DATABASE "@LOGS_DB_NAME@" TO newapi_ro;
GRANT USAGE ON SCHEMA public TO newapi_ro;
-- logs: every column but content (free text: error messages, notes); the API never shows it.
GRANT SELECT (id, user_id, created_at, type, username, token_name, model_name, quota, prompt_tokens,
              completion_tokens, use_time, is_stream, channel_id, channel_name, token_id, "group", ip,
              request_id, upstream_request_id, other)
  ON public.logs TO newapi_ro;

-- The aggregator: reads the logs columns it counts, owns and writes only its own tables, in its own schema. It opens 4
-- connections (the hourly job, the health check, the response actions' audit and, with block_token, new-api's
-- tokens): limit 8 (twice, for reconnects).
SELECT 'CREATE ROLE newapi_agg LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'newapi_agg') \gexec
ALTER ROLE newapi_agg WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '@AGG_PASSWORD@' CONNECTION LIMIT 8;
GRANT CONNECT ON DATABASE "@LOGS_DB_NAME@" TO newapi_agg;
GRANT USAGE ON SCHEMA public TO newapi_agg;
GRANT SELECT (id, user_id, created_at, type, username, token_name, model_name, quota, prompt_tokens,
              completion_tokens, use_time, is_stream, channel_id, token_id, "group", ip, other)
  ON public.logs TO newapi_agg;
CREATE SCHEMA IF NOT EXISTS "@AGG_DB_NAME@" AUTHORIZATION newapi_agg;
ALTER SCHEMA "@AGG_DB_NAME@" OWNER TO newapi_agg;
GRANT USAGE, CREATE ON SCHEMA "@AGG_DB_NAME@" TO newapi_agg;
-- Observer tables created earlier by another role (by hand, or by an older setup) become the aggregator's.
SELECT format('ALTER TABLE %I.%I OWNER TO newapi_agg', schemaname, tablename) FROM pg_tables
  WHERE schemaname = '@AGG_DB_NAME@' AND tableowner <> 'newapi_agg' \gexec

-- The aggregator's tables, for the exporter's restart-safe counter baseline and the JSON API: the tables that exist
-- now, and (default privileges) every table newapi_agg creates there later.
GRANT USAGE ON SCHEMA "@AGG_DB_NAME@" TO newapi_ro;
GRANT SELECT ON ALL TABLES IN SCHEMA "@AGG_DB_NAME@" TO newapi_ro;
ALTER DEFAULT PRIVILEGES FOR ROLE newapi_agg IN SCHEMA "@AGG_DB_NAME@" GRANT SELECT ON TABLES TO newapi_ro;
-- Unqualified names find them too, after new-api's tables, as on MySQL where they share new-api's database: Grafana's
-- PostgreSQL datasource has no schema setting, and the dashboards read agg_usage_hourly_* by that name.
ALTER ROLE newapi_ro IN DATABASE "@LOGS_DB_NAME@" SET search_path = public, "@AGG_DB_NAME@";

-- Grafana's datasource (grafana/provisioning/datasources/postgres.yml): only the observer's table its SQL dashboards
-- read (grafana/dashboards-postgres), nothing of new-api's: its editors can run any SQL. maxOpenConns 2: limit 4.
-- The table exists once newapi-aggregator has started: run this file again after its first start if it did not.
SELECT 'CREATE ROLE newapi_grafana LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'newapi_grafana') \gexec
ALTER ROLE newapi_grafana WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '@GRAFANA_PASSWORD@' CONNECTION LIMIT 4;
ALTER ROLE newapi_grafana SET statement_timeout = '30s';
GRANT CONNECT ON DATABASE "@LOGS_DB_NAME@" TO newapi_grafana;
GRANT USAGE ON SCHEMA "@AGG_DB_NAME@" TO newapi_grafana;
SELECT format('GRANT SELECT ON %I.agg_usage_hourly_by_model_channel TO newapi_grafana', '@AGG_DB_NAME@')
  WHERE to_regclass(format('%I.agg_usage_hourly_by_model_channel', '@AGG_DB_NAME@')) IS NOT NULL \gexec
-- The dashboards name the table without a schema, as on MySQL.
ALTER ROLE newapi_grafana IN DATABASE "@LOGS_DB_NAME@" SET search_path = "@AGG_DB_NAME@";

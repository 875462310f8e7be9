-- newapi-observer's database roles on PostgreSQL (counterpart of grants.sql): the exporter (read-only), the aggregator
-- and Grafana. @DB_NAME@ (new-api's database), @AGG_DB_NAME@ (the SCHEMA inside that database holding the observer's
-- tables, default `observer`; PostgreSQL has no cross-database queries) and the passwords are filled in by
-- schema/fill-grants.sh (which escapes them; scripts/stack and the compose demo use it).
-- Valid on PostgreSQL 15. Run as a superuser, connected to @DB_NAME@, after the new-api schema exists (column grants
-- need the tables), with psql: `psql -X -v ON_ERROR_STOP=1 -d @DB_NAME@ -f -`. The `\gexec` lines are psql
-- meta-commands (CREATE ROLE has no IF NOT EXISTS, and this file avoids DO blocks); the whole file can be re-run.
-- new-api's tables are in schema public (GORM creates them in current_schema()). The observer's tables need not exist
-- yet: newapi-aggregator creates them at its start (schema/observer-tables.postgres.sql) and default privileges give
-- the exporter SELECT on them.
-- Roles are cluster-wide; there is no host part: who may connect from where is pg_hba.conf's business (use
-- scram-sha-256 for these accounts). On a database created before PostgreSQL 15 (pg_upgrade), PUBLIC may still have
-- CREATE on schema public: `REVOKE CREATE ON SCHEMA public FROM PUBLIC` keeps the observer's accounts out of it.

-- Connection limits are twice what each program opens: a reconnecting client's old session may not be gone yet.

-- The exporter: SELECT only, never tokens.key, channels.key, users.password/access_token or logs.content, nor the
-- secrets in options, and a statement timeout as a safety net (its own queries set shorter ones). It opens
-- API_DB_CONNECTIONS (2) + 2 collectors + 1 health check = 5 connections: limit 10 (`--check` compares).
SELECT 'CREATE ROLE newapi_ro LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'newapi_ro') \gexec
ALTER ROLE newapi_ro WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '@RO_PASSWORD@' CONNECTION LIMIT 10;
ALTER ROLE newapi_ro SET statement_timeout = '30s';
GRANT CONNECT ON DATABASE "@DB_NAME@" TO newapi_ro;
GRANT USAGE ON SCHEMA public TO newapi_ro;
-- logs: every column but content (free text: error messages, notes); the API never shows it.
GRANT SELECT (id, user_id, created_at, type, username, token_name, model_name, quota, prompt_tokens,
              completion_tokens, use_time, is_stream, channel_id, channel_name, token_id, "group", ip,
              request_id, upstream_request_id, other)
  ON public.logs TO newapi_ro;
GRANT SELECT (id, username, display_name, role, status, quota, used_quota, request_count, "group",
              inviter_id, deleted_at, created_at, last_login_at)
  ON public.users TO newapi_ro;
GRANT SELECT (id, user_id, status, name, created_time, accessed_time, expired_time, remain_quota,
              unlimited_quota, used_quota, "group", deleted_at)
  ON public.tokens TO newapi_ro;
GRANT SELECT (id, type, status, name, weight, created_time, test_time, response_time, balance,
              balance_updated_time, models, "group", used_quota, priority, auto_ban, tag)
  ON public.channels TO newapi_ro;
-- options also holds new-api's admin secrets (SMTPToken, GitHubClientSecret, EpayKey, ...): the exporter reads the
-- keys it needs through the view observer_options below, never the table (REVOKE: older setups granted it).
REVOKE ALL ON public.options FROM newapi_ro;
GRANT SELECT ON public.abilities TO newapi_ro;
GRANT SELECT ON public.models TO newapi_ro;
GRANT SELECT ON public.vendors TO newapi_ro;
GRANT SELECT ON public.quota_data TO newapi_ro;

-- The aggregator: reads the logs columns it counts, owns and writes only its own tables, in its own schema. It opens
-- 2 connections (the hourly job, the health check): limit 4.
SELECT 'CREATE ROLE newapi_agg LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'newapi_agg') \gexec
ALTER ROLE newapi_agg WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '@AGG_PASSWORD@' CONNECTION LIMIT 4;
GRANT CONNECT ON DATABASE "@DB_NAME@" TO newapi_agg;
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
ALTER ROLE newapi_ro IN DATABASE "@DB_NAME@" SET search_path = public, "@AGG_DB_NAME@";

-- The options the exporter needs (QuotaPerUnit), not the secrets beside them, in a view beside options (the main
-- database, also when logs live elsewhere). A view reads with its owner's rights (the superuser running this file),
-- so newapi_ro needs no right on options; security_barrier keeps the reader's own conditions (a cast that fails and
-- shows the value in its error) from running before the view's filter.
CREATE OR REPLACE VIEW public.observer_options WITH (security_barrier) AS
  SELECT "key", value FROM public.options WHERE "key" IN ('QuotaPerUnit');
GRANT SELECT ON public.observer_options TO newapi_ro;

-- Grafana's datasource (grafana/provisioning/datasources/postgres.yml): only the observer's table its SQL dashboards
-- read (grafana/dashboards-postgres), nothing of new-api's: its editors can run any SQL. maxOpenConns 2: limit 4.
-- The table exists once newapi-aggregator has started: run this file again after its first start if it did not.
SELECT 'CREATE ROLE newapi_grafana LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'newapi_grafana') \gexec
ALTER ROLE newapi_grafana WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '@GRAFANA_PASSWORD@' CONNECTION LIMIT 4;
ALTER ROLE newapi_grafana SET statement_timeout = '30s';
GRANT CONNECT ON DATABASE "@DB_NAME@" TO newapi_grafana;
GRANT USAGE ON SCHEMA "@AGG_DB_NAME@" TO newapi_grafana;
SELECT format('GRANT SELECT ON %I.agg_usage_hourly_by_model_channel TO newapi_grafana', '@AGG_DB_NAME@')
  WHERE to_regclass(format('%I.agg_usage_hourly_by_model_channel', '@AGG_DB_NAME@')) IS NOT NULL \gexec
-- The dashboards name the table without a schema, as on MySQL.
ALTER ROLE newapi_grafana IN DATABASE "@DB_NAME@" SET search_path = "@AGG_DB_NAME@";

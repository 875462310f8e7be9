-- The exporter's role on new-api's main database on PostgreSQL (counterpart of grants.sql): users, tokens, channels,
-- options and the other tables it reads besides logs. schema/grants-logs.postgres.sql grants the rest (logs and the
-- observer's tables) in the database holding logs: run both, in one database, or each in its own when new-api writes
-- logs elsewhere (its LOG_SQL_DSN). @DB_NAME@ (new-api's database) and the password are filled in by schema/fill-grants.sh (which escapes the passwords).
-- Valid on PostgreSQL 15. Run as a superuser, connected to @DB_NAME@, after the new-api schema exists (column grants
-- need the tables), with psql: `psql -X -v ON_ERROR_STOP=1 -d @DB_NAME@ -f -`. The `\gexec` lines are psql
-- meta-commands (CREATE ROLE has no IF NOT EXISTS, and this file avoids DO blocks); the whole file can be re-run.
-- new-api's tables are in schema public (GORM creates them in current_schema()).
-- Roles are cluster-wide; there is no host part: who may connect from where is pg_hba.conf's business (use
-- scram-sha-256 for these accounts). On a database created before PostgreSQL 15 (pg_upgrade), PUBLIC may still have
-- CREATE on schema public: `REVOKE CREATE ON SCHEMA public FROM PUBLIC` keeps the observer's accounts out of it.

-- The exporter: SELECT only, never tokens.key, channels.key, users.password/access_token or logs.content, few
-- connections, and a statement timeout as a safety net (its own queries set shorter ones).
SELECT 'CREATE ROLE newapi_ro LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'newapi_ro') \gexec
ALTER ROLE newapi_ro WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '@RO_PASSWORD@' CONNECTION LIMIT 10;
ALTER ROLE newapi_ro SET statement_timeout = '30s';
GRANT CONNECT ON DATABASE "@DB_NAME@" TO newapi_ro;
GRANT USAGE ON SCHEMA public TO newapi_ro;
GRANT SELECT (id, username, display_name, role, status, quota, used_quota, request_count, "group",
              inviter_id, deleted_at, created_at, last_login_at)
  ON public.users TO newapi_ro;
GRANT SELECT (id, user_id, status, name, created_time, accessed_time, expired_time, remain_quota,
              unlimited_quota, used_quota, "group", deleted_at)
  ON public.tokens TO newapi_ro;
GRANT SELECT (id, type, status, name, weight, created_time, test_time, response_time, balance,
              balance_updated_time, models, "group", used_quota, priority, auto_ban, tag)
  ON public.channels TO newapi_ro;
-- options holds QuotaPerUnit and the pricing JSON; it also holds admin secrets (SMTP, payment), which the exporter
-- reads past but never outputs.
-- options also holds new-api's admin secrets (SMTPToken, GitHubClientSecret, EpayKey, ...): the exporter reads the
-- keys it needs through the view observer_options below, never the table (REVOKE: older setups granted it).
REVOKE ALL ON public.options FROM newapi_ro;
GRANT SELECT ON public.abilities TO newapi_ro;
GRANT SELECT ON public.models TO newapi_ro;
GRANT SELECT ON public.vendors TO newapi_ro;
GRANT SELECT ON public.quota_data TO newapi_ro;

-- The options the exporter needs (QuotaPerUnit and the display unit's keys, exporter/display_unit.h), not the secrets
-- beside them, in a view beside options. A view reads with its owner's rights (the superuser running this file), so
-- newapi_ro needs no right on options; security_barrier keeps the reader's own conditions (a cast that fails and shows
-- the value in its error) from running before the view's filter.
CREATE OR REPLACE VIEW public.observer_options WITH (security_barrier) AS
  SELECT "key", value FROM public.options WHERE "key" IN ('QuotaPerUnit', 'general_setting.quota_display_type',
    'general_setting.custom_currency_symbol', 'general_setting.custom_currency_exchange_rate', 'USDExchangeRate', 'DisplayInCurrencyEnabled');
GRANT SELECT ON public.observer_options TO newapi_ro;

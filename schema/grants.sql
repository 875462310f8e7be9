-- Database accounts of newapi-observer: the exporter (read-only, no secret columns), the aggregator and Grafana.
-- @DB_NAME@ (new-api's database), @AGG_DB_NAME@ (where the observer's tables live; usually the same) and the
-- passwords are filled in by schema/fill-grants.sh (which escapes them; scripts/stack and the compose demo use it).
-- Valid on MySQL 8 and MariaDB 10.11. Run as an administrator after the new-api schema and schema/observer-tables.sql
-- exist: column and table grants need the tables. The whole file can be re-run (e.g. to rotate a password).
-- Connection limits are twice what each program opens: a reconnecting client's old session may not be gone yet.

-- The exporter: SELECT only, never tokens.key, channels.key, users.password/access_token or logs.content, nor the
-- secrets in options. It opens API_DB_CONNECTIONS (2) + 2 collectors + 1 health check = 5 connections: limit 10.
-- `newapi-exporter --check` verifies an account against this file (and the limit against API_DB_CONNECTIONS).
CREATE USER IF NOT EXISTS 'newapi_ro'@'%' IDENTIFIED BY '@RO_PASSWORD@' WITH MAX_USER_CONNECTIONS 10;
ALTER USER 'newapi_ro'@'%' IDENTIFIED BY '@RO_PASSWORD@' WITH MAX_USER_CONNECTIONS 10;
-- logs: every column but content (free text: error messages, notes); the API never shows it.
GRANT SELECT (`id`, `user_id`, `created_at`, `type`, `username`, `token_name`, `model_name`, `quota`, `prompt_tokens`,
              `completion_tokens`, `use_time`, `is_stream`, `channel_id`, `channel_name`, `token_id`, `group`, `ip`,
              `request_id`, `upstream_request_id`, `other`)
  ON `@DB_NAME@`.`logs` TO 'newapi_ro'@'%';
GRANT SELECT (`id`, `username`, `display_name`, `role`, `status`, `quota`, `used_quota`, `request_count`, `group`,
              `inviter_id`, `deleted_at`, `created_at`, `last_login_at`)
  ON `@DB_NAME@`.`users` TO 'newapi_ro'@'%';
GRANT SELECT (`id`, `user_id`, `status`, `name`, `created_time`, `accessed_time`, `expired_time`, `remain_quota`,
              `unlimited_quota`, `used_quota`, `group`, `deleted_at`)
  ON `@DB_NAME@`.`tokens` TO 'newapi_ro'@'%';
GRANT SELECT (`id`, `type`, `status`, `name`, `weight`, `created_time`, `test_time`, `response_time`, `balance`,
              `balance_updated_time`, `models`, `group`, `used_quota`, `priority`, `auto_ban`, `tag`)
  ON `@DB_NAME@`.`channels` TO 'newapi_ro'@'%';
-- options also holds new-api's admin secrets (SMTPToken, GitHubClientSecret, EpayKey, ...): a column grant cannot
-- filter rows, so the exporter reads the keys it needs through a view beside options (the main database, also when
-- logs live elsewhere), which runs with its definer's rights (this file's administrator: keep that account, or re-run
-- this file after dropping it). TEMPTABLE: the view's filter runs before any condition of the reader's query. Older
-- setups granted all of options: GRANT then REVOKE takes that away on a re-run (MariaDB has no REVOKE IF EXISTS).
CREATE OR REPLACE ALGORITHM = TEMPTABLE SQL SECURITY DEFINER VIEW `@DB_NAME@`.`observer_options` AS
  SELECT `key`, `value` FROM `@DB_NAME@`.`options` WHERE `key` IN ('QuotaPerUnit');
GRANT SELECT ON `@DB_NAME@`.`observer_options` TO 'newapi_ro'@'%';
GRANT SELECT ON `@DB_NAME@`.`options` TO 'newapi_ro'@'%';
REVOKE SELECT ON `@DB_NAME@`.`options` FROM 'newapi_ro'@'%';
GRANT SELECT ON `@DB_NAME@`.`abilities` TO 'newapi_ro'@'%';
GRANT SELECT ON `@DB_NAME@`.`models` TO 'newapi_ro'@'%';
GRANT SELECT ON `@DB_NAME@`.`vendors` TO 'newapi_ro'@'%';
GRANT SELECT ON `@DB_NAME@`.`quota_data` TO 'newapi_ro'@'%';
-- The aggregator's tables (schema/observer-tables.sql), for the restart-safe counter baseline and the JSON API.
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_usage_hourly` TO 'newapi_ro'@'%';
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_usage_hourly_by_user` TO 'newapi_ro'@'%';
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_usage_hourly_by_token` TO 'newapi_ro'@'%';
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_usage_hourly_by_model_channel` TO 'newapi_ro'@'%';
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_active_hourly` TO 'newapi_ro'@'%';
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_state` TO 'newapi_ro'@'%';

-- The aggregator: reads the logs columns it counts, writes only its own tables. It opens 2 connections (the hourly
-- job, the health check): limit 4.
CREATE USER IF NOT EXISTS 'newapi_agg'@'%' IDENTIFIED BY '@AGG_PASSWORD@' WITH MAX_USER_CONNECTIONS 4;
ALTER USER 'newapi_agg'@'%' IDENTIFIED BY '@AGG_PASSWORD@' WITH MAX_USER_CONNECTIONS 4;
GRANT SELECT (`id`, `user_id`, `created_at`, `type`, `username`, `token_name`, `model_name`, `quota`, `prompt_tokens`,
              `completion_tokens`, `use_time`, `is_stream`, `channel_id`, `token_id`, `group`, `ip`, `other`)
  ON `@DB_NAME@`.`logs` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_usage_hourly` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_usage_hourly_by_user` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_usage_hourly_by_token` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_usage_hourly_by_model_channel` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_active_hourly` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_state` TO 'newapi_agg'@'%';

-- Grafana's datasource (grafana/provisioning/datasources/mysql.yml): only the observer's table its SQL dashboards
-- read (grafana/dashboards-mysql), nothing of new-api's: its editors can run any SQL. maxOpenConns 2: limit 4.
CREATE USER IF NOT EXISTS 'newapi_grafana'@'%' IDENTIFIED BY '@GRAFANA_PASSWORD@' WITH MAX_USER_CONNECTIONS 4;
ALTER USER 'newapi_grafana'@'%' IDENTIFIED BY '@GRAFANA_PASSWORD@' WITH MAX_USER_CONNECTIONS 4;
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_usage_hourly_by_model_channel` TO 'newapi_grafana'@'%';

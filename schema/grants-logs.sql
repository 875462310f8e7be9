-- newapi-observer's accounts on the database holding new-api's logs: the exporter (read-only, not logs.content) and
-- the aggregator (reads logs, writes only its own tables). schema/grants.sql grants the exporter the rest of new-api's
-- tables on the main database: run both, on one database, or each on its own when new-api writes logs elsewhere (its
-- LOG_SQL_DSN). @LOGS_DB_NAME@ (the database holding logs: new-api's own, or its LOG_SQL_DSN one), @AGG_DB_NAME@
-- (where the observer's tables live, on the same server; usually the same database) and the passwords are filled in
-- by schema/fill-grants.sh (which escapes the passwords). Valid on MySQL 8 and MariaDB 10.11. Connection limits are
-- twice what each program opens (a reconnecting client's old session may not be gone yet).
-- Run after the new-api schema and schema/observer-tables.sql exist: column and table grants need the tables.

-- The exporter (the same account and limit as in grants.sql).
CREATE USER IF NOT EXISTS 'newapi_ro'@'%' IDENTIFIED BY '@RO_PASSWORD@' WITH MAX_USER_CONNECTIONS 10;
ALTER USER 'newapi_ro'@'%' IDENTIFIED BY '@RO_PASSWORD@' WITH MAX_USER_CONNECTIONS 10;
-- logs: every column but content (free text: error messages, notes); the API never shows it.
GRANT SELECT (`id`, `user_id`, `created_at`, `type`, `username`, `token_name`, `model_name`, `quota`, `prompt_tokens`,
              `completion_tokens`, `use_time`, `is_stream`, `channel_id`, `channel_name`, `token_id`, `group`, `ip`,
              `request_id`, `upstream_request_id`, `other`)
  ON `@LOGS_DB_NAME@`.`logs` TO 'newapi_ro'@'%';
-- The aggregator's tables (schema/observer-tables.sql), for the restart-safe counter baseline and the JSON API.
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_usage_hourly` TO 'newapi_ro'@'%';
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_usage_hourly_by_user` TO 'newapi_ro'@'%';
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_usage_hourly_by_token` TO 'newapi_ro'@'%';
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_usage_hourly_by_model_channel` TO 'newapi_ro'@'%';
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_active_hourly` TO 'newapi_ro'@'%';
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_active_by_value` TO 'newapi_ro'@'%';
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_state` TO 'newapi_ro'@'%';
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_rule_baselines` TO 'newapi_ro'@'%';
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_request_sizes_hourly` TO 'newapi_ro'@'%';
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_largest_requests` TO 'newapi_ro'@'%';
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_token_minute_peaks` TO 'newapi_ro'@'%';
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_rule_windows` TO 'newapi_ro'@'%';
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_burst_windows` TO 'newapi_ro'@'%';
-- The response actions' audit, for the API's admins (GET /api/actions); the undo goes through the aggregator.
GRANT SELECT ON `@AGG_DB_NAME@`.`observer_action_audit` TO 'newapi_ro'@'%';

-- The aggregator: reads the logs columns it counts, writes only its own tables. It opens 4 connections (the hourly
-- job, the health check, the response actions' audit and, with block_token, new-api's tokens: schema/grants-block-token.sql):
-- limit 8.
CREATE USER IF NOT EXISTS 'newapi_agg'@'%' IDENTIFIED BY '@AGG_PASSWORD@' WITH MAX_USER_CONNECTIONS 8;
ALTER USER 'newapi_agg'@'%' IDENTIFIED BY '@AGG_PASSWORD@' WITH MAX_USER_CONNECTIONS 8;
GRANT SELECT (`id`, `user_id`, `created_at`, `type`, `username`, `token_name`, `model_name`, `quota`, `prompt_tokens`,
              `completion_tokens`, `use_time`, `is_stream`, `channel_id`, `token_id`, `group`, `ip`, `other`)
  ON `@LOGS_DB_NAME@`.`logs` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_usage_hourly` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_usage_hourly_by_user` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_usage_hourly_by_token` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_usage_hourly_by_model_channel` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_active_hourly` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_active_by_value` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_state` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_rule_baselines` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_request_sizes_hourly` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_largest_requests` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_token_minute_peaks` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_rule_windows` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `@AGG_DB_NAME@`.`agg_burst_windows` TO 'newapi_agg'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE ON `@AGG_DB_NAME@`.`observer_action_audit` TO 'newapi_agg'@'%';

-- Grafana's datasource (grafana/provisioning/datasources/mysql.yml): only the observer's table its SQL dashboards
-- read (grafana/dashboards-mysql), nothing of new-api's: its editors can run any SQL. maxOpenConns 2: limit 4.
CREATE USER IF NOT EXISTS 'newapi_grafana'@'%' IDENTIFIED BY '@GRAFANA_PASSWORD@' WITH MAX_USER_CONNECTIONS 4;
ALTER USER 'newapi_grafana'@'%' IDENTIFIED BY '@GRAFANA_PASSWORD@' WITH MAX_USER_CONNECTIONS 4;
GRANT SELECT ON `@AGG_DB_NAME@`.`agg_usage_hourly_by_model_channel` TO 'newapi_grafana'@'%';

-- The exporter's account on new-api's main database: users, tokens, channels, options and the other tables it reads
-- besides logs. schema/grants-logs.sql grants the rest (logs and the observer's tables) on the database holding logs:
-- run both, on one database, or each on its own when new-api writes logs elsewhere (its LOG_SQL_DSN).
-- @DB_NAME@ (new-api's database) and the password are filled in by scripts/stack. Valid on MySQL 8 and MariaDB 10.11.
-- Run after the new-api schema exists: column and table grants need the tables.

-- The exporter: SELECT only, never tokens.key, channels.key or users.password/access_token, few connections.
-- `newapi-exporter --check` verifies an account against this file and grants-logs.sql.
CREATE USER IF NOT EXISTS 'newapi_ro'@'%' IDENTIFIED BY '@RO_PASSWORD@' WITH MAX_USER_CONNECTIONS 6;
ALTER USER 'newapi_ro'@'%' IDENTIFIED BY '@RO_PASSWORD@' WITH MAX_USER_CONNECTIONS 6;
GRANT SELECT (`id`, `username`, `display_name`, `role`, `status`, `quota`, `used_quota`, `request_count`, `group`,
              `inviter_id`, `deleted_at`, `created_at`, `last_login_at`)
  ON `@DB_NAME@`.`users` TO 'newapi_ro'@'%';
GRANT SELECT (`id`, `user_id`, `status`, `name`, `created_time`, `accessed_time`, `expired_time`, `remain_quota`,
              `unlimited_quota`, `used_quota`, `group`, `deleted_at`)
  ON `@DB_NAME@`.`tokens` TO 'newapi_ro'@'%';
GRANT SELECT (`id`, `type`, `status`, `name`, `weight`, `created_time`, `test_time`, `response_time`, `balance`,
              `balance_updated_time`, `models`, `group`, `used_quota`, `priority`, `auto_ban`, `tag`)
  ON `@DB_NAME@`.`channels` TO 'newapi_ro'@'%';
-- options holds QuotaPerUnit and the pricing JSON; it also holds admin secrets (SMTP, payment), which the exporter
-- reads past but never outputs.
GRANT SELECT ON `@DB_NAME@`.`options` TO 'newapi_ro'@'%';
GRANT SELECT ON `@DB_NAME@`.`abilities` TO 'newapi_ro'@'%';
GRANT SELECT ON `@DB_NAME@`.`models` TO 'newapi_ro'@'%';
GRANT SELECT ON `@DB_NAME@`.`vendors` TO 'newapi_ro'@'%';
GRANT SELECT ON `@DB_NAME@`.`quota_data` TO 'newapi_ro'@'%';

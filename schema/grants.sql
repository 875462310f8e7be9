-- The exporter's account on new-api's main database: users, tokens, channels, options and the other tables it reads
-- besides logs. schema/grants-logs.sql grants the rest (logs and the observer's tables) on the database holding logs:
-- run both, on one database, or each on its own when new-api writes logs elsewhere (its LOG_SQL_DSN).
-- @DB_NAME@ (new-api's database) and the password are filled in by schema/fill-grants.sh (which escapes them;
-- scripts/stack and the compose demo use it). Valid on MySQL 8 and MariaDB 10.11. Run as an administrator after the
-- new-api schema exists: column and table grants need the tables. The whole file can be re-run (to rotate a password).

-- The exporter: SELECT only, never tokens.key, channels.key or users.password/access_token, nor the secrets in
-- options. Connection limit: twice what it opens (a reconnecting client's old session may not be gone yet):
-- API_DB_CONNECTIONS (2) + 2 collectors + 1 health check = 5, so 10. `newapi-exporter --check` verifies an account
-- against this file and grants-logs.sql, and the limit against API_DB_CONNECTIONS.
CREATE USER IF NOT EXISTS 'newapi_ro'@'%' IDENTIFIED BY '@RO_PASSWORD@' WITH MAX_USER_CONNECTIONS 10;
ALTER USER 'newapi_ro'@'%' IDENTIFIED BY '@RO_PASSWORD@' WITH MAX_USER_CONNECTIONS 10;
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
-- filter rows, so the exporter reads the keys it needs (QuotaPerUnit and the unit new-api displays money in: display
-- type, custom symbol and rate, the USD exchange rate, the older on/off switch) through a view beside options, which
-- runs with its definer's rights (this file's administrator: keep that account, or re-run this file after dropping it). TEMPTABLE: the view's
-- filter runs before any condition of the reader's query. Older setups granted all of options: GRANT then REVOKE
-- takes that away on a re-run (MariaDB has no REVOKE IF EXISTS).
CREATE OR REPLACE ALGORITHM = TEMPTABLE SQL SECURITY DEFINER VIEW `@DB_NAME@`.`observer_options` AS
  SELECT `key`, `value` FROM `@DB_NAME@`.`options` WHERE `key` IN ('QuotaPerUnit', 'general_setting.quota_display_type',
    'general_setting.custom_currency_symbol', 'general_setting.custom_currency_exchange_rate', 'USDExchangeRate', 'DisplayInCurrencyEnabled');
GRANT SELECT ON `@DB_NAME@`.`observer_options` TO 'newapi_ro'@'%';
GRANT SELECT ON `@DB_NAME@`.`options` TO 'newapi_ro'@'%';
REVOKE SELECT ON `@DB_NAME@`.`options` FROM 'newapi_ro'@'%';
GRANT SELECT ON `@DB_NAME@`.`abilities` TO 'newapi_ro'@'%';
GRANT SELECT ON `@DB_NAME@`.`models` TO 'newapi_ro'@'%';
GRANT SELECT ON `@DB_NAME@`.`vendors` TO 'newapi_ro'@'%';
GRANT SELECT ON `@DB_NAME@`.`quota_data` TO 'newapi_ro'@'%';

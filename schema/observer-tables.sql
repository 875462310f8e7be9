-- newapi-observer's own tables, created by newapi-aggregator (the only writer) in the new-api database or the
-- database set by AGG_DB_NAME. Valid on MySQL 8 and MariaDB 10.11.

-- Usage per hour and (user, token, model, channel, group, stream), recomputed from `logs` with absolute values
-- until the hour is finalized (AGG_FINALIZE_LAG_SECONDS after it ends); finalized hours never change, even when
-- new-api's log cleanup deletes their rows. The counting rules are common/include/observer/newapi/usage.h.
CREATE TABLE IF NOT EXISTS `agg_usage_hourly` (
  `hour` bigint NOT NULL COMMENT 'start of the hour, unix seconds (UTC)',
  `user_id` bigint NOT NULL,
  `token_id` bigint NOT NULL,
  `model_name` varchar(191) COLLATE utf8mb4_bin NOT NULL COMMENT 'binary: gpt-4o and GPT-4o are two models',
  `channel_id` bigint NOT NULL,
  `group` varchar(191) COLLATE utf8mb4_bin NOT NULL,
  `is_stream` tinyint NOT NULL,
  `reqs` bigint NOT NULL COMMENT 'consume and error rows',
  `errors` bigint NOT NULL COMMENT 'error rows',
  `prompt_tokens` bigint NOT NULL,
  `completion_tokens` bigint NOT NULL,
  `cached_tokens` bigint NOT NULL COMMENT 'other.cache_tokens, part of prompt_tokens',
  `quota` bigint NOT NULL COMMENT 'quota of consume rows',
  `refunded_quota` bigint NOT NULL COMMENT 'quota of refund rows',
  `use_time_sum` bigint NOT NULL COMMENT 'seconds',
  `use_time_max` bigint NOT NULL COMMENT 'seconds',
  PRIMARY KEY (`hour`, `user_id`, `token_id`, `model_name`, `channel_id`, `group`, `is_stream`),
  KEY `idx_agg_user_hour` (`user_id`, `hour`),
  KEY `idx_agg_token_hour` (`token_id`, `hour`),
  KEY `idx_agg_model_hour` (`model_name`, `hour`),
  KEY `idx_agg_channel_hour` (`channel_id`, `hour`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The aggregator's progress: `finalized_until` = every hour before it is final. Written in the same transaction as
-- the hour it finalizes.
CREATE TABLE IF NOT EXISTS `agg_state` (
  `name` varchar(64) NOT NULL,
  `value` bigint NOT NULL,
  `updated_at` bigint NOT NULL,
  PRIMARY KEY (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

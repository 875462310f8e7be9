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

-- Rollups of agg_usage_hourly, derived from it in the transaction that changes or finalizes an hour: the same
-- measures at a coarser key, so that the JSON API reads thousands of rows where agg_usage_hourly holds millions. Keys with reqs = 0 are
-- refund-only (no requests).
CREATE TABLE IF NOT EXISTS `agg_usage_hourly_by_user` (
  `hour` bigint NOT NULL,
  `user_id` bigint NOT NULL,
  `reqs` bigint NOT NULL,
  `errors` bigint NOT NULL,
  `prompt_tokens` bigint NOT NULL,
  `completion_tokens` bigint NOT NULL,
  `cached_tokens` bigint NOT NULL,
  `quota` bigint NOT NULL,
  `refunded_quota` bigint NOT NULL,
  `use_time_sum` bigint NOT NULL,
  `use_time_max` bigint NOT NULL,
  PRIMARY KEY (`hour`, `user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS `agg_usage_hourly_by_token` (
  `hour` bigint NOT NULL,
  `token_id` bigint NOT NULL,
  `reqs` bigint NOT NULL,
  `errors` bigint NOT NULL,
  `prompt_tokens` bigint NOT NULL,
  `completion_tokens` bigint NOT NULL,
  `cached_tokens` bigint NOT NULL,
  `quota` bigint NOT NULL,
  `refunded_quota` bigint NOT NULL,
  `use_time_sum` bigint NOT NULL,
  `use_time_max` bigint NOT NULL,
  PRIMARY KEY (`hour`, `token_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Per hour and (model, channel, group, stream): every filter of the API and the exporter's counter labels.
CREATE TABLE IF NOT EXISTS `agg_usage_hourly_by_model_channel` (
  `hour` bigint NOT NULL,
  `model_name` varchar(191) COLLATE utf8mb4_bin NOT NULL,
  `channel_id` bigint NOT NULL,
  `group` varchar(191) COLLATE utf8mb4_bin NOT NULL,
  `is_stream` tinyint NOT NULL,
  `reqs` bigint NOT NULL,
  `errors` bigint NOT NULL,
  `prompt_tokens` bigint NOT NULL,
  `completion_tokens` bigint NOT NULL,
  `cached_tokens` bigint NOT NULL,
  `quota` bigint NOT NULL,
  `refunded_quota` bigint NOT NULL,
  `use_time_sum` bigint NOT NULL,
  `use_time_max` bigint NOT NULL,
  PRIMARY KEY (`hour`, `model_name`, `channel_id`, `group`, `is_stream`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Exact distinct users and tokens over any run of hours, without reading who they were: for each hour, kind ('user'
-- or 'token') and hours_since_last (hours back to the subject's previous hour with requests; 25 = 25 or more, or
-- never), how many subjects (non-zero ids) had requests in the hour. The distinct subjects of the hours [a, b) are
-- the subjects of each hour h in [a, b) whose previous hour is before a: the sum of `active` over the rows with
-- hour in [a, b) and hour - 3600 * hours_since_last < a. Exact for runs of up to 25 hours (a local day). Written
-- when the hour is finalized (the API reads only finalized hours from these tables).
CREATE TABLE IF NOT EXISTS `agg_active_hourly` (
  `hour` bigint NOT NULL,
  `kind` varchar(8) NOT NULL,
  `hours_since_last` int NOT NULL,
  `active` bigint NOT NULL,
  PRIMARY KEY (`hour`, `kind`, `hours_since_last`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- agg_active_hourly per model, channel and group, for series and counts filtered by one of them: for each dimension
-- ('model', 'channel', 'group'), value (the model name, channel id or group name), hour, kind and hours_since_last,
-- how many subjects had requests under that value in the hour. Written by newapi-aggregator when it finalizes an hour
-- (from its in-memory record of the 25 hours before, rebuilt from agg_usage_hourly when it starts), for the hours from
-- agg_state's `active_values_from` on.
CREATE TABLE IF NOT EXISTS `agg_active_by_value` (
  `dimension` varchar(8) NOT NULL,
  `value` varchar(191) COLLATE utf8mb4_bin NOT NULL,
  `hour` bigint NOT NULL,
  `kind` varchar(8) NOT NULL,
  `hours_since_last` int NOT NULL,
  `active` bigint NOT NULL,
  PRIMARY KEY (`dimension`, `value`, `hour`, `kind`, `hours_since_last`),
  KEY `idx_agg_active_by_value_hour` (`hour`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The aggregator's progress: `finalized_until` = every hour before it is final; `rollups_until` = every hour of
-- agg_usage_hourly before it has its rollups (equal to finalized_until once the rollups of an older installation's
-- hours are built). Written in the same transaction as the hour they cover.
CREATE TABLE IF NOT EXISTS `agg_state` (
  `name` varchar(64) NOT NULL,
  `value` bigint NOT NULL,
  `updated_at` bigint NOT NULL,
  PRIMARY KEY (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The adaptive risk rules' per-subject baselines (common/include/observer/rules/rules.h), rewritten every hour from
-- the 7 days of `logs` before the current hour: rule 'burst' = a token's P99 of consume requests per minute (idle
-- minutes count as 0), rule 'ip_many_users' = an IP's P99 of distinct users per rule window. Every subject active in
-- those days has a row; the exporter and the JSON API read the same rows, so both evaluators agree.
CREATE TABLE IF NOT EXISTS `agg_rule_baselines` (
  `rule` varchar(32) NOT NULL,
  `subject` varchar(191) COLLATE utf8mb4_bin NOT NULL COMMENT 'token id or IP',
  `baseline` bigint NOT NULL,
  `computed_at` bigint NOT NULL COMMENT 'the hour start the 7 days end at',
  PRIMARY KEY (`rule`, `subject`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- big_request's statistics per model and hour (common/include/observer/rules/big_request_agg.h), written with the
-- hour by newapi-aggregator from the rows the rule reads (consume): requests, and the sums of ln(1 + tokens) and of
-- its square as observer::rules::StatsOfSizes computes them (the logs path computes the same doubles). Complete for
-- the finalized hours from agg_state's `request_sizes_from` on.
CREATE TABLE IF NOT EXISTS `agg_request_sizes_hourly` (
  `hour` bigint NOT NULL,
  `model_name` varchar(191) COLLATE utf8mb4_bin NOT NULL,
  `requests` bigint NOT NULL,
  `log_size_sum` double NOT NULL,
  `log_size_squares` double NOT NULL,
  PRIMARY KEY (`hour`, `model_name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The 16 largest requests (prompt + completion tokens, ties by id) of each model-hour, with the columns the
-- allow-list tests: big_request's candidates for the hours of agg_request_sizes_hourly. The API reads the rows over
-- each model's limit through idx_largest_model_tokens (a table created before it works without, scanning the hours).
CREATE TABLE IF NOT EXISTS `agg_largest_requests` (
  `hour` bigint NOT NULL,
  `model_name` varchar(191) COLLATE utf8mb4_bin NOT NULL,
  `id` bigint NOT NULL COMMENT 'logs id',
  `created_at` bigint NOT NULL,
  `tokens` bigint NOT NULL,
  `user_id` bigint NOT NULL,
  `token_id` bigint NOT NULL,
  `channel_id` bigint NOT NULL,
  `ip` varchar(191) NOT NULL,
  PRIMARY KEY (`hour`, `model_name`, `id`),
  KEY `idx_largest_model_tokens` (`model_name`, `tokens`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- burst's per-hour summary (common/include/observer/rules/window_rules_agg.h): for each token, the most consume rows
-- it had in one minute of the hour (tumbling minutes, [60k, 60k + 60)), when at least 2. Allow-listed rows count: the
-- JSON API takes the tokens whose peak can reach the limit as candidates and counts their sliding windows exactly in
-- `logs`, over those hours only. Complete for the finalized hours from agg_state's `rule_windows_from` on.
CREATE TABLE IF NOT EXISTS `agg_token_minute_peaks` (
  `hour` bigint NOT NULL,
  `token_id` bigint NOT NULL,
  `peak` bigint NOT NULL,
  PRIMARY KEY (`hour`, `token_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- multi_user_token's and ip_many_users's 10-minute windows ([600k, 600k + 600)) with a distinct count of at least 2:
-- clients (user, IP pairs) per token, users per IP, as the rules count them (capped at 1,000), allow-listed rows
-- included. With the rules' default window and no allow-list they are the answer; otherwise they pick the candidates.
-- Complete for the finalized hours from agg_state's `rule_windows_from` on.
CREATE TABLE IF NOT EXISTS `agg_rule_windows` (
  `rule` varchar(32) NOT NULL COMMENT 'multi_user_token or ip_many_users',
  `window_start` bigint NOT NULL,
  `subject` varchar(191) COLLATE utf8mb4_bin NOT NULL COMMENT 'token id or IP',
  `name` varchar(191) NOT NULL COMMENT 'token name, empty for an IP',
  `distinct_count` bigint NOT NULL,
  PRIMARY KEY (`window_start`, `rule`, `subject`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- burst's sliding windows (common/include/observer/rules/window_rules_agg.h) of the rules' default size (60 s), per
-- hour of their anchor, token and count: a window (a - 60, a] is anchored at each second a with consume rows of the
-- token and holds `window_rows` of its consume rows (rows of the hour before included); the anchors whose window holds
-- exactly that many, how many there are, the first and last, and the largest token name of their rows (bytes). Only
-- counts of at least 20 are stored, allow-listed rows included. One row per count, not per anchor: a steady heavy
-- token writes a few dozen rows an hour. Without an allow-list and with a lowest limit of at least 20 they are the
-- answer for whole hours; they pick the candidates of the hours a range cuts. Complete for the finalized hours from
-- agg_state's `burst_windows_from` on.
CREATE TABLE IF NOT EXISTS `agg_burst_windows` (
  `hour` bigint NOT NULL,
  `token_id` bigint NOT NULL,
  `window_rows` bigint NOT NULL,
  `anchors` bigint NOT NULL,
  `first_anchor` bigint NOT NULL,
  `last_anchor` bigint NOT NULL,
  `name` varchar(191) NOT NULL COMMENT 'token name',
  PRIMARY KEY (`hour`, `token_id`, `window_rows`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Response actions (ACTIONS_FILE): every action, dry run, refusal and undo, written by newapi-aggregator only. An
-- undo is a row of its own (action enable_user or unblock_token, undo_of = the action's id); the action's row gets
-- undone_by. block_token rows never hold the key (nor its hash).
CREATE TABLE IF NOT EXISTS `observer_action_audit` (
  `id` bigint NOT NULL,
  `at` bigint NOT NULL COMMENT 'unix seconds',
  `actor` varchar(191) NOT NULL COMMENT 'rule:<rule> or undo:<who>',
  `action` varchar(32) NOT NULL COMMENT 'disable_user, enable_user, block_token, unblock_token',
  `rule` varchar(64) NOT NULL,
  `subject_type` varchar(32) NOT NULL,
  `subject_id` varchar(191) NOT NULL,
  `user_id` bigint NOT NULL,
  `evidence` varchar(1000) NOT NULL COMMENT 'the alert name and summary',
  `result` varchar(32) NOT NULL COMMENT 'done, dry_run, failed, allow_listed, over_hourly_cap, no_user',
  `detail` varchar(1000) NOT NULL,
  `undo_of` bigint NOT NULL DEFAULT 0,
  `undone_by` bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  KEY `idx_action_audit_at` (`at`),
  KEY `idx_action_audit_user` (`user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

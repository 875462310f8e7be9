-- newapi-observer's own tables on PostgreSQL (counterpart of observer-tables.sql), created by newapi-aggregator.
-- Valid on PostgreSQL 15. Names are unqualified: the aggregator creates the schema (AGG_DB_NAME, default `observer`,
-- inside new-api's database) and sets `search_path` to it before running this file; index names are unique per
-- schema. Every statement is idempotent and ends with `;` at the end of a line (common/src/sql_script.cc splits the
-- file there and drops whole-line comments), so no DO blocks, no `$$` bodies and no `;` at a line end inside a
-- string. Differences from MySQL: `text COLLATE "C"` for model_name and group (new-api's columns are unbounded text on
-- PostgreSQL; "C" compares bytes like utf8mb4_bin), `smallint` for is_stream, `COMMENT ON COLUMN` for the comments.

-- Usage per hour and (user, token, model, channel, group, stream), recomputed from `logs` with absolute values
-- until the hour is finalized (AGG_FINALIZE_LAG_SECONDS after it ends); finalized hours never change, even when
-- new-api's log cleanup deletes their rows. The counting rules are common/include/observer/newapi/usage.h.
CREATE TABLE IF NOT EXISTS agg_usage_hourly (
  hour bigint NOT NULL,
  user_id bigint NOT NULL,
  token_id bigint NOT NULL,
  model_name text COLLATE "C" NOT NULL,
  channel_id bigint NOT NULL,
  "group" text COLLATE "C" NOT NULL,
  is_stream smallint NOT NULL,
  reqs bigint NOT NULL,
  errors bigint NOT NULL,
  prompt_tokens bigint NOT NULL,
  completion_tokens bigint NOT NULL,
  cached_tokens bigint NOT NULL,
  quota bigint NOT NULL,
  refunded_quota bigint NOT NULL,
  use_time_sum bigint NOT NULL,
  use_time_max bigint NOT NULL,
  PRIMARY KEY (hour, user_id, token_id, model_name, channel_id, "group", is_stream)
);
CREATE INDEX IF NOT EXISTS idx_agg_user_hour ON agg_usage_hourly (user_id, hour);
CREATE INDEX IF NOT EXISTS idx_agg_token_hour ON agg_usage_hourly (token_id, hour);
CREATE INDEX IF NOT EXISTS idx_agg_model_hour ON agg_usage_hourly (model_name, hour);
CREATE INDEX IF NOT EXISTS idx_agg_channel_hour ON agg_usage_hourly (channel_id, hour);
COMMENT ON COLUMN agg_usage_hourly.hour IS 'start of the hour, unix seconds (UTC)';
COMMENT ON COLUMN agg_usage_hourly.model_name IS 'binary (COLLATE "C"): gpt-4o and GPT-4o are two models';
COMMENT ON COLUMN agg_usage_hourly.reqs IS 'consume and error rows';
COMMENT ON COLUMN agg_usage_hourly.errors IS 'error rows';
COMMENT ON COLUMN agg_usage_hourly.cached_tokens IS 'other.cache_tokens, part of prompt_tokens';
COMMENT ON COLUMN agg_usage_hourly.quota IS 'quota of consume rows';
COMMENT ON COLUMN agg_usage_hourly.refunded_quota IS 'quota of refund rows';
COMMENT ON COLUMN agg_usage_hourly.use_time_sum IS 'seconds';
COMMENT ON COLUMN agg_usage_hourly.use_time_max IS 'seconds';

-- Rollups of agg_usage_hourly, derived from it in the transaction that changes or finalizes an hour: the same
-- measures at a coarser key, so that the JSON API reads thousands of rows where agg_usage_hourly holds millions. Keys with reqs = 0 are
-- refund-only (no requests).
CREATE TABLE IF NOT EXISTS agg_usage_hourly_by_user (
  hour bigint NOT NULL,
  user_id bigint NOT NULL,
  reqs bigint NOT NULL,
  errors bigint NOT NULL,
  prompt_tokens bigint NOT NULL,
  completion_tokens bigint NOT NULL,
  cached_tokens bigint NOT NULL,
  quota bigint NOT NULL,
  refunded_quota bigint NOT NULL,
  use_time_sum bigint NOT NULL,
  use_time_max bigint NOT NULL,
  PRIMARY KEY (hour, user_id)
);

CREATE TABLE IF NOT EXISTS agg_usage_hourly_by_token (
  hour bigint NOT NULL,
  token_id bigint NOT NULL,
  reqs bigint NOT NULL,
  errors bigint NOT NULL,
  prompt_tokens bigint NOT NULL,
  completion_tokens bigint NOT NULL,
  cached_tokens bigint NOT NULL,
  quota bigint NOT NULL,
  refunded_quota bigint NOT NULL,
  use_time_sum bigint NOT NULL,
  use_time_max bigint NOT NULL,
  PRIMARY KEY (hour, token_id)
);

-- Per hour and (model, channel, group, stream): every filter of the API and the exporter's counter labels.
CREATE TABLE IF NOT EXISTS agg_usage_hourly_by_model_channel (
  hour bigint NOT NULL,
  model_name text COLLATE "C" NOT NULL,
  channel_id bigint NOT NULL,
  "group" text COLLATE "C" NOT NULL,
  is_stream smallint NOT NULL,
  reqs bigint NOT NULL,
  errors bigint NOT NULL,
  prompt_tokens bigint NOT NULL,
  completion_tokens bigint NOT NULL,
  cached_tokens bigint NOT NULL,
  quota bigint NOT NULL,
  refunded_quota bigint NOT NULL,
  use_time_sum bigint NOT NULL,
  use_time_max bigint NOT NULL,
  PRIMARY KEY (hour, model_name, channel_id, "group", is_stream)
);

-- Exact distinct users and tokens over any run of hours, without reading who they were: for each hour, kind ('user'
-- or 'token') and hours_since_last (hours back to the subject's previous hour with requests; 25 = 25 or more, or
-- never), how many subjects (non-zero ids) had requests in the hour. The distinct subjects of the hours [a, b) are
-- the subjects of each hour h in [a, b) whose previous hour is before a: the sum of `active` over the rows with
-- hour in [a, b) and hour - 3600 * hours_since_last < a. Exact for runs of up to 25 hours (a local day). Written
-- when the hour is finalized (the API reads only finalized hours from these tables).
CREATE TABLE IF NOT EXISTS agg_active_hourly (
  hour bigint NOT NULL,
  kind varchar(8) NOT NULL,
  hours_since_last int NOT NULL,
  active bigint NOT NULL,
  PRIMARY KEY (hour, kind, hours_since_last)
);

-- agg_active_hourly per model, channel and group (schema/observer-tables.sql says what it holds).
CREATE TABLE IF NOT EXISTS agg_active_by_value (
  dimension varchar(8) NOT NULL,
  value text COLLATE "C" NOT NULL,
  hour bigint NOT NULL,
  kind varchar(8) NOT NULL,
  hours_since_last int NOT NULL,
  active bigint NOT NULL,
  PRIMARY KEY (dimension, value, hour, kind, hours_since_last)
);
CREATE INDEX IF NOT EXISTS idx_agg_active_by_value_hour ON agg_active_by_value (hour);

-- The aggregator's progress: `finalized_until` = every hour before it is final; `rollups_until` = every hour of
-- agg_usage_hourly before it has its rollups (equal to finalized_until once the rollups of an older installation's
-- hours are built). Written in the same transaction as the hour they cover.
CREATE TABLE IF NOT EXISTS agg_state (
  name varchar(64) NOT NULL,
  value bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (name)
);

-- The adaptive risk rules' per-subject baselines (schema/observer-tables.sql says what they hold).
CREATE TABLE IF NOT EXISTS agg_rule_baselines (
  rule varchar(32) NOT NULL,
  subject varchar(191) COLLATE "C" NOT NULL,
  baseline bigint NOT NULL,
  computed_at bigint NOT NULL,
  PRIMARY KEY (rule, subject)
);

-- big_request's statistics and largest requests per model and hour (schema/observer-tables.sql says what they hold).
CREATE TABLE IF NOT EXISTS agg_request_sizes_hourly (
  hour bigint NOT NULL,
  model_name varchar(191) COLLATE "C" NOT NULL,
  requests bigint NOT NULL,
  log_size_sum double precision NOT NULL,
  log_size_squares double precision NOT NULL,
  PRIMARY KEY (hour, model_name)
);

CREATE TABLE IF NOT EXISTS agg_largest_requests (
  hour bigint NOT NULL,
  model_name varchar(191) COLLATE "C" NOT NULL,
  id bigint NOT NULL,
  created_at bigint NOT NULL,
  tokens bigint NOT NULL,
  user_id bigint NOT NULL,
  token_id bigint NOT NULL,
  channel_id bigint NOT NULL,
  ip varchar(191) NOT NULL,
  PRIMARY KEY (hour, model_name, id)
);
CREATE INDEX IF NOT EXISTS idx_largest_model_tokens ON agg_largest_requests (model_name, tokens);

-- burst's per-hour minute peaks and sliding windows and the distinct rules' windows (schema/observer-tables.sql says
-- what they hold).
CREATE TABLE IF NOT EXISTS agg_token_minute_peaks (
  hour bigint NOT NULL,
  token_id bigint NOT NULL,
  peak bigint NOT NULL,
  PRIMARY KEY (hour, token_id)
);

CREATE TABLE IF NOT EXISTS agg_rule_windows (
  rule varchar(32) NOT NULL,
  window_start bigint NOT NULL,
  subject text COLLATE "C" NOT NULL,
  name text NOT NULL,
  distinct_count bigint NOT NULL,
  PRIMARY KEY (window_start, rule, subject)
);

CREATE TABLE IF NOT EXISTS agg_burst_windows (
  hour bigint NOT NULL,
  token_id bigint NOT NULL,
  window_rows bigint NOT NULL,
  anchors bigint NOT NULL,
  first_anchor bigint NOT NULL,
  last_anchor bigint NOT NULL,
  name text NOT NULL,
  PRIMARY KEY (hour, token_id, window_rows)
);

-- Response actions (ACTIONS_FILE): every action, dry run, refusal and undo, written by newapi-aggregator only. An
-- undo is a row of its own (action enable_user or unblock_token, undo_of = the action's id); the action's row gets
-- undone_by. block_token rows never hold the key (nor its hash).
CREATE TABLE IF NOT EXISTS observer_action_audit (
  id bigint NOT NULL,
  at bigint NOT NULL,
  actor varchar(191) NOT NULL,
  action varchar(32) NOT NULL,
  rule varchar(64) NOT NULL,
  subject_type varchar(32) NOT NULL,
  subject_id varchar(191) NOT NULL,
  user_id bigint NOT NULL,
  evidence varchar(1000) NOT NULL,
  result varchar(32) NOT NULL,
  detail varchar(1000) NOT NULL,
  undo_of bigint NOT NULL DEFAULT 0,
  undone_by bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS idx_action_audit_at ON observer_action_audit (at);
CREATE INDEX IF NOT EXISTS idx_action_audit_user ON observer_action_audit (user_id);

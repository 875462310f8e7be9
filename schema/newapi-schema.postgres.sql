-- new-api's schema on PostgreSQL, as upstream's GORM models create it; used by the simulator and the tests.
-- new-api (QuantumNous/new-api, formerly Calcium-Ion/new-api) -- PostgreSQL schema as GORM AutoMigrate creates it
--
-- Upstream source : github.com/QuantumNous/new-api, branch main
-- Upstream commit : e2c7aa7b102c2075eae2377df3508658d45e88dc
-- Commit date     : 2026-08-15 14:18:10 +0800 ("test(web): standardize frontend tests on Vitest (#6569)")
-- ORM versions    : gorm.io/gorm v1.25.2, gorm.io/driver/postgres v1.5.2 (pgx v5), as pinned in that commit's go.mod
-- Model list      : model/main.go migrateDB() (33 structs) + SubscriptionPlan (migrated right after) = 34 tables
-- Companions      : schema.sql (the MySQL/MariaDB DDL of the same commit), NOTES.md, POSTGRES.md (rules, differences,
--                   what a reader must change, validation on PostgreSQL 15)
--
-- How this file was produced: the struct tags in model/*.go were translated by hand-written rules that reproduce
-- GORM v1.25.2 schema parsing and gorm.io/driver/postgres v1.5.2 DataTypeOf / CreateTable / CreateIndex (new-api and
-- GORM were not run). The same tag parser with the MySQL rules reproduces schema.sql exactly (all 34 tables: column
-- names and order, NOT NULL, defaults, primary keys, every index). This file loads without error into PostgreSQL
-- 15.18 (34 tables, 172 indexes including primary keys and UNIQUE constraints).
--   * Go int / int64 / uint / *uint / uint32 -> bigint (the driver adds one bit for unsigned types, so uint32 is bigint
--     too); a `type:int` tag is GORM's generic integer kind and still yields bigint; there is no unsigned type
--   * the auto-increment primary key (`id`) -> bigserial: sequence <table>_id_seq, column DEFAULT nextval(...)
--   * bool -> boolean (true/false; `= 1` is an error, libpq text results are t/f)
--   * float64 without precision -> decimal (= numeric), not double precision; `type:decimal(10,6)` is kept
--   * string with size:N -> varchar(N); string without size -> text (PostgreSQL has no varchar(191) rule, so indexed
--     and defaulted strings are text too); `type:` tags are copied verbatim (varchar(n), char(n), text, json, bigint)
--   * time.Time / *time.Time / gorm.DeletedAt -> timestamptz (MySQL: datetime(3))
--   * no NOT NULL unless tagged `not null`; primary-key columns are NOT NULL implicitly
--   * defaults as the dialect renders them: DEFAULT '' / 'default', DEFAULT 0 / -1, DEFAULT true / false
--   * `unique` -> a column UNIQUE constraint, which PostgreSQL names <table>_<column>_key; the primary key is <table>_pkey
--   * every index is a separate CREATE [UNIQUE] INDEX IF NOT EXISTS statement issued after CREATE TABLE, with the same
--     names as on MySQL: idx_<table>_<snake(GoFieldName)> (users.github_id -> idx_users_git_hub_id) or the explicit name;
--     index names are unique per schema in PostgreSQL (none collide here); a `where:` option becomes a partial index
--     (prefill_groups.uk_prefill_name), which MySQL ignores
--   * GORM double-quotes every identifier. In hand-written SQL "group" must be quoted ("key" is not reserved in
--     PostgreSQL, but new-api quotes it too); backticks are a syntax error.
--   * no foreign keys, so the tables can be created in any order
-- Layout: GORM emits each CREATE TABLE on one line and its CREATE INDEX statements in map (random) order; the line
-- breaks and the index order below are cosmetic. Tables land in current_schema() (normally public).
--
-- This is the FRESH-INSTALL layout. Upgraded installs have later columns appended in the order they were added
-- (AutoMigrate's ALTER TABLE ... ADD COLUMN) and keep indexes whose definition changed under the same name (e.g.
-- logs.idx_created_at_id was (id, created_at) before upstream PR #5191): inspect pg_index rather than assume.
-- Tables read by newapi-observer (schema/grants.sql) come first; the other 25 follow for a complete test database.

-- logs <- struct Log (model/log.go); read by the observer
CREATE TABLE "logs" (
  "id" bigserial,
  "user_id" bigint,
  "created_at" bigint,
  "type" bigint,
  "content" text,
  "username" text DEFAULT '',
  "token_name" text DEFAULT '',
  "model_name" text DEFAULT '',
  "quota" bigint DEFAULT 0,
  "prompt_tokens" bigint DEFAULT 0,
  "completion_tokens" bigint DEFAULT 0,
  "use_time" bigint DEFAULT 0,
  "is_stream" boolean,
  "channel_id" bigint,
  "channel_name" text,
  "token_id" bigint DEFAULT 0,
  "group" text,
  "ip" text DEFAULT '',
  "request_id" varchar(64) DEFAULT '',
  "upstream_request_id" varchar(128) DEFAULT '',
  "other" text,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_created_at_id" ON "logs" ("created_at","id");
CREATE INDEX IF NOT EXISTS "idx_user_id_id" ON "logs" ("user_id","id");
CREATE INDEX IF NOT EXISTS "idx_logs_user_id" ON "logs" ("user_id");
CREATE INDEX IF NOT EXISTS "idx_created_at_type" ON "logs" ("created_at","type");
CREATE INDEX IF NOT EXISTS "idx_logs_username" ON "logs" ("username");
CREATE INDEX IF NOT EXISTS "index_username_model_name" ON "logs" ("model_name","username");
CREATE INDEX IF NOT EXISTS "idx_logs_token_name" ON "logs" ("token_name");
CREATE INDEX IF NOT EXISTS "idx_logs_model_name" ON "logs" ("model_name");
CREATE INDEX IF NOT EXISTS "idx_logs_channel_id" ON "logs" ("channel_id");
CREATE INDEX IF NOT EXISTS "idx_logs_token_id" ON "logs" ("token_id");
CREATE INDEX IF NOT EXISTS "idx_logs_group" ON "logs" ("group");
CREATE INDEX IF NOT EXISTS "idx_logs_ip" ON "logs" ("ip");
CREATE INDEX IF NOT EXISTS "idx_logs_request_id" ON "logs" ("request_id");
CREATE INDEX IF NOT EXISTS "idx_logs_upstream_request_id" ON "logs" ("upstream_request_id");

-- users <- struct User (model/user.go); read by the observer
CREATE TABLE "users" (
  "id" bigserial,
  "username" text UNIQUE,
  "password" text NOT NULL,
  "display_name" text,
  "role" bigint DEFAULT 1,
  "status" bigint DEFAULT 1,
  "email" text,
  "github_id" text,
  "discord_id" text,
  "oidc_id" text,
  "wechat_id" text,
  "telegram_id" text,
  "access_token" char(32),
  "quota" bigint DEFAULT 0,
  "used_quota" bigint DEFAULT 0,
  "request_count" bigint DEFAULT 0,
  "group" varchar(64) DEFAULT 'default',
  "aff_code" varchar(32),
  "aff_count" bigint DEFAULT 0,
  "aff_quota" bigint DEFAULT 0,
  "aff_history" bigint DEFAULT 0,
  "inviter_id" bigint,
  "deleted_at" timestamptz,
  "linux_do_id" text,
  "setting" text,
  "remark" varchar(255),
  "stripe_customer" varchar(64),
  "created_at" bigint,
  "last_login_at" bigint DEFAULT 0,
  "auth_version" bigint NOT NULL DEFAULT 1,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_users_username" ON "users" ("username");
CREATE INDEX IF NOT EXISTS "idx_users_display_name" ON "users" ("display_name");
CREATE INDEX IF NOT EXISTS "idx_users_email" ON "users" ("email");
CREATE INDEX IF NOT EXISTS "idx_users_git_hub_id" ON "users" ("github_id");
CREATE INDEX IF NOT EXISTS "idx_users_discord_id" ON "users" ("discord_id");
CREATE INDEX IF NOT EXISTS "idx_users_oidc_id" ON "users" ("oidc_id");
CREATE INDEX IF NOT EXISTS "idx_users_we_chat_id" ON "users" ("wechat_id");
CREATE INDEX IF NOT EXISTS "idx_users_telegram_id" ON "users" ("telegram_id");
CREATE UNIQUE INDEX IF NOT EXISTS "idx_users_access_token" ON "users" ("access_token");
CREATE UNIQUE INDEX IF NOT EXISTS "idx_users_aff_code" ON "users" ("aff_code");
CREATE INDEX IF NOT EXISTS "idx_users_inviter_id" ON "users" ("inviter_id");
CREATE INDEX IF NOT EXISTS "idx_users_deleted_at" ON "users" ("deleted_at");
CREATE INDEX IF NOT EXISTS "idx_users_linux_do_id" ON "users" ("linux_do_id");
CREATE INDEX IF NOT EXISTS "idx_users_stripe_customer" ON "users" ("stripe_customer");

-- tokens <- struct Token (model/token.go); read by the observer
CREATE TABLE "tokens" (
  "id" bigserial,
  "user_id" bigint,
  "key" varchar(128),
  "status" bigint DEFAULT 1,
  "name" text,
  "created_time" bigint,
  "accessed_time" bigint,
  "expired_time" bigint DEFAULT -1,
  "remain_quota" bigint DEFAULT 0,
  "unlimited_quota" boolean,
  "model_limits_enabled" boolean,
  "model_limits" text,
  "allow_ips" text DEFAULT '',
  "used_quota" bigint DEFAULT 0,
  "group" text DEFAULT '',
  "cross_group_retry" boolean,
  "auto_groups" text,
  "deleted_at" timestamptz,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_tokens_user_id" ON "tokens" ("user_id");
CREATE UNIQUE INDEX IF NOT EXISTS "idx_tokens_key" ON "tokens" ("key");
CREATE INDEX IF NOT EXISTS "idx_tokens_name" ON "tokens" ("name");
CREATE INDEX IF NOT EXISTS "idx_tokens_deleted_at" ON "tokens" ("deleted_at");

-- channels <- struct Channel (model/channel.go); read by the observer
CREATE TABLE "channels" (
  "id" bigserial,
  "type" bigint DEFAULT 0,
  "key" text NOT NULL,
  "open_ai_organization" text,
  "test_model" text,
  "status" bigint DEFAULT 1,
  "name" text,
  "weight" bigint DEFAULT 0,
  "created_time" bigint,
  "test_time" bigint,
  "response_time" bigint,
  "base_url" text DEFAULT '',
  "other" text,
  "balance" decimal,
  "balance_updated_time" bigint,
  "models" text,
  "group" varchar(64) DEFAULT 'default',
  "used_quota" bigint DEFAULT 0,
  "model_mapping" text,
  "status_code_mapping" varchar(1024) DEFAULT '',
  "priority" bigint DEFAULT 0,
  "auto_ban" bigint DEFAULT 1,
  "other_info" text,
  "tag" text,
  "setting" text,
  "param_override" text,
  "header_override" text,
  "remark" varchar(255),
  "channel_info" json,
  "settings" text,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_channels_name" ON "channels" ("name");
CREATE INDEX IF NOT EXISTS "idx_channels_tag" ON "channels" ("tag");

-- options <- struct Option (model/option.go); read by the observer
CREATE TABLE "options" (
  "key" text,
  "value" text,
  PRIMARY KEY ("key")
);

-- abilities <- struct Ability (model/ability.go); read by the observer
CREATE TABLE "abilities" (
  "group" varchar(64),
  "model" varchar(255),
  "channel_id" bigint,
  "enabled" boolean,
  "priority" bigint DEFAULT 0,
  "weight" bigint DEFAULT 0,
  "tag" text,
  PRIMARY KEY ("group","model","channel_id")
);
CREATE INDEX IF NOT EXISTS "idx_abilities_channel_id" ON "abilities" ("channel_id");
CREATE INDEX IF NOT EXISTS "idx_abilities_priority" ON "abilities" ("priority");
CREATE INDEX IF NOT EXISTS "idx_abilities_weight" ON "abilities" ("weight");
CREATE INDEX IF NOT EXISTS "idx_abilities_tag" ON "abilities" ("tag");

-- models <- struct Model (model/model_meta.go); read by the observer
CREATE TABLE "models" (
  "id" bigserial,
  "model_name" varchar(128) NOT NULL,
  "description" text,
  "icon" varchar(128),
  "tags" varchar(255),
  "vendor_id" bigint,
  "endpoints" text,
  "status" bigint DEFAULT 1,
  "sync_official" bigint DEFAULT 1,
  "created_time" bigint,
  "updated_time" bigint,
  "deleted_at" timestamptz,
  "name_rule" bigint DEFAULT 0,
  PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX IF NOT EXISTS "uk_model_name_delete_at" ON "models" ("model_name","deleted_at");
CREATE INDEX IF NOT EXISTS "idx_models_vendor_id" ON "models" ("vendor_id");
CREATE INDEX IF NOT EXISTS "idx_models_deleted_at" ON "models" ("deleted_at");

-- vendors <- struct Vendor (model/vendor_meta.go); read by the observer
CREATE TABLE "vendors" (
  "id" bigserial,
  "name" varchar(128) NOT NULL,
  "description" text,
  "icon" varchar(128),
  "status" bigint DEFAULT 1,
  "created_time" bigint,
  "updated_time" bigint,
  "deleted_at" timestamptz,
  PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX IF NOT EXISTS "uk_vendor_name_delete_at" ON "vendors" ("name","deleted_at");
CREATE INDEX IF NOT EXISTS "idx_vendors_deleted_at" ON "vendors" ("deleted_at");

-- quota_data <- struct QuotaData (model/usedata.go); read by the observer
CREATE TABLE "quota_data" (
  "id" bigserial,
  "user_id" bigint,
  "username" varchar(64) DEFAULT '',
  "model_name" varchar(64) DEFAULT '',
  "created_at" bigint,
  "use_group" varchar(64) DEFAULT '',
  "token_id" bigint DEFAULT 0,
  "channel_id" bigint DEFAULT 0,
  "node_name" varchar(64) DEFAULT '',
  "token_used" bigint DEFAULT 0,
  "count" bigint DEFAULT 0,
  "quota" bigint DEFAULT 0,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_quota_data_user_id" ON "quota_data" ("user_id");
CREATE INDEX IF NOT EXISTS "idx_qdt_model_user_name" ON "quota_data" ("model_name","username");
CREATE INDEX IF NOT EXISTS "idx_qdt_created_at" ON "quota_data" ("created_at");
CREATE INDEX IF NOT EXISTS "idx_quota_data_use_group" ON "quota_data" ("use_group");
CREATE INDEX IF NOT EXISTS "idx_quota_data_token_id" ON "quota_data" ("token_id");
CREATE INDEX IF NOT EXISTS "idx_quota_data_channel_id" ON "quota_data" ("channel_id");
CREATE INDEX IF NOT EXISTS "idx_quota_data_node_name" ON "quota_data" ("node_name");

-- setups <- struct Setup (model/setup.go)
CREATE TABLE "setups" (
  "id" bigserial,
  "version" varchar(50) NOT NULL,
  "initialized_at" bigint NOT NULL,
  PRIMARY KEY ("id")
);

-- top_ups <- struct TopUp (model/topup.go)
CREATE TABLE "top_ups" (
  "id" bigserial,
  "user_id" bigint,
  "amount" bigint,
  "money" decimal,
  "trade_no" varchar(255) UNIQUE,
  "payment_method" varchar(50),
  "payment_provider" varchar(50) DEFAULT '',
  "create_time" bigint,
  "complete_time" bigint,
  "status" text,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_top_ups_user_id" ON "top_ups" ("user_id");
CREATE INDEX IF NOT EXISTS "idx_top_ups_trade_no" ON "top_ups" ("trade_no");

-- redemptions <- struct Redemption (model/redemption.go)
CREATE TABLE "redemptions" (
  "id" bigserial,
  "user_id" bigint,
  "key" char(32),
  "status" bigint DEFAULT 1,
  "name" text,
  "quota" bigint DEFAULT 100,
  "created_time" bigint,
  "redeemed_time" bigint,
  "used_user_id" bigint,
  "deleted_at" timestamptz,
  "expired_time" bigint,
  PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX IF NOT EXISTS "idx_redemptions_key" ON "redemptions" ("key");
CREATE INDEX IF NOT EXISTS "idx_redemptions_name" ON "redemptions" ("name");
CREATE INDEX IF NOT EXISTS "idx_redemptions_deleted_at" ON "redemptions" ("deleted_at");

-- two_fas <- struct TwoFA (model/twofa.go)
CREATE TABLE "two_fas" (
  "id" bigserial,
  "user_id" bigint NOT NULL UNIQUE,
  "secret" varchar(255) NOT NULL,
  "is_enabled" boolean,
  "failed_attempts" bigint DEFAULT 0,
  "locked_until" timestamptz,
  "last_used_at" timestamptz,
  "created_at" timestamptz,
  "updated_at" timestamptz,
  "deleted_at" timestamptz,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_two_fas_user_id" ON "two_fas" ("user_id");
CREATE INDEX IF NOT EXISTS "idx_two_fas_deleted_at" ON "two_fas" ("deleted_at");

-- two_fa_backup_codes <- struct TwoFABackupCode (model/twofa.go)
CREATE TABLE "two_fa_backup_codes" (
  "id" bigserial,
  "user_id" bigint NOT NULL,
  "code_hash" varchar(255) NOT NULL,
  "is_used" boolean,
  "used_at" timestamptz,
  "created_at" timestamptz,
  "deleted_at" timestamptz,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_two_fa_backup_codes_user_id" ON "two_fa_backup_codes" ("user_id");
CREATE INDEX IF NOT EXISTS "idx_two_fa_backup_codes_deleted_at" ON "two_fa_backup_codes" ("deleted_at");

-- midjourneys <- struct Midjourney (model/midjourney.go)
CREATE TABLE "midjourneys" (
  "id" bigserial,
  "code" bigint,
  "user_id" bigint,
  "action" varchar(40),
  "mj_id" text,
  "prompt" text,
  "prompt_en" text,
  "description" text,
  "state" text,
  "submit_time" bigint,
  "start_time" bigint,
  "finish_time" bigint,
  "image_url" text,
  "video_url" text,
  "video_urls" text,
  "status" varchar(20),
  "progress" varchar(30),
  "fail_reason" text,
  "channel_id" bigint,
  "quota" bigint,
  "buttons" text,
  "properties" text,
  "token_id" bigint DEFAULT 0,
  "billing_channel_id" bigint DEFAULT 0,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_midjourneys_user_id" ON "midjourneys" ("user_id");
CREATE INDEX IF NOT EXISTS "idx_midjourneys_action" ON "midjourneys" ("action");
CREATE INDEX IF NOT EXISTS "idx_midjourneys_mj_id" ON "midjourneys" ("mj_id");
CREATE INDEX IF NOT EXISTS "idx_midjourneys_submit_time" ON "midjourneys" ("submit_time");
CREATE INDEX IF NOT EXISTS "idx_midjourneys_start_time" ON "midjourneys" ("start_time");
CREATE INDEX IF NOT EXISTS "idx_midjourneys_finish_time" ON "midjourneys" ("finish_time");
CREATE INDEX IF NOT EXISTS "idx_midjourneys_status" ON "midjourneys" ("status");
CREATE INDEX IF NOT EXISTS "idx_midjourneys_progress" ON "midjourneys" ("progress");

-- tasks <- struct Task (model/task.go)
CREATE TABLE "tasks" (
  "id" bigserial,
  "created_at" bigint,
  "updated_at" bigint,
  "task_id" varchar(191),
  "platform" varchar(30),
  "user_id" bigint,
  "group" varchar(50),
  "channel_id" bigint,
  "quota" bigint,
  "action" varchar(40),
  "status" varchar(20),
  "fail_reason" text,
  "submit_time" bigint,
  "start_time" bigint,
  "finish_time" bigint,
  "progress" varchar(20),
  "properties" json,
  "private_data" json,
  "data" json,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_tasks_created_at" ON "tasks" ("created_at");
CREATE INDEX IF NOT EXISTS "idx_tasks_task_id" ON "tasks" ("task_id");
CREATE INDEX IF NOT EXISTS "idx_tasks_platform" ON "tasks" ("platform");
CREATE INDEX IF NOT EXISTS "idx_tasks_user_id" ON "tasks" ("user_id");
CREATE INDEX IF NOT EXISTS "idx_tasks_channel_id" ON "tasks" ("channel_id");
CREATE INDEX IF NOT EXISTS "idx_tasks_action" ON "tasks" ("action");
CREATE INDEX IF NOT EXISTS "idx_tasks_status" ON "tasks" ("status");
CREATE INDEX IF NOT EXISTS "idx_tasks_submit_time" ON "tasks" ("submit_time");
CREATE INDEX IF NOT EXISTS "idx_tasks_start_time" ON "tasks" ("start_time");
CREATE INDEX IF NOT EXISTS "idx_tasks_finish_time" ON "tasks" ("finish_time");
CREATE INDEX IF NOT EXISTS "idx_tasks_progress" ON "tasks" ("progress");

-- prefill_groups <- struct PrefillGroup (model/prefill_group.go)
CREATE TABLE "prefill_groups" (
  "id" bigserial,
  "name" varchar(64) NOT NULL,
  "type" varchar(32) NOT NULL,
  "items" json,
  "description" varchar(255),
  "created_time" bigint,
  "updated_time" bigint,
  "deleted_at" timestamptz,
  PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX IF NOT EXISTS "uk_prefill_name" ON "prefill_groups" ("name") WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS "idx_prefill_groups_type" ON "prefill_groups" ("type");
CREATE INDEX IF NOT EXISTS "idx_prefill_groups_deleted_at" ON "prefill_groups" ("deleted_at");

-- perf_metrics <- struct PerfMetric (model/perf_metric.go) (explicit TableName)
CREATE TABLE "perf_metrics" (
  "id" bigserial,
  "model_name" varchar(128),
  "group" varchar(64),
  "bucket_ts" bigint,
  "request_count" bigint DEFAULT 0,
  "success_count" bigint DEFAULT 0,
  "total_latency_ms" bigint DEFAULT 0,
  "ttft_sum_ms" bigint DEFAULT 0,
  "ttft_count" bigint DEFAULT 0,
  "output_tokens" bigint DEFAULT 0,
  "generation_ms" bigint DEFAULT 0,
  PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX IF NOT EXISTS "idx_perf_model_group_bucket" ON "perf_metrics" ("model_name","group","bucket_ts");
CREATE INDEX IF NOT EXISTS "idx_perf_bucket_ts" ON "perf_metrics" ("bucket_ts");

-- user_sessions <- struct UserSession (model/user_session.go) (explicit TableName)
CREATE TABLE "user_sessions" (
  "sid" varchar(64),
  "user_id" bigint NOT NULL,
  "version" bigint NOT NULL DEFAULT 1,
  "user_auth_version" bigint NOT NULL,
  "status" varchar(16) NOT NULL,
  "refresh_hash" char(64) NOT NULL,
  "previous_refresh_hash" varchar(64),
  "previous_valid_until" bigint NOT NULL DEFAULT 0,
  "login_method" varchar(32) NOT NULL,
  "ip" varchar(64),
  "user_agent" text,
  "created_at" bigint,
  "last_active_at" bigint NOT NULL,
  "expires_at" bigint NOT NULL,
  "revoked_at" bigint NOT NULL DEFAULT 0,
  "revoked_reason" varchar(64),
  PRIMARY KEY ("sid")
);
CREATE INDEX IF NOT EXISTS "idx_user_sessions_user_status_expiry" ON "user_sessions" ("user_id","status","expires_at");
CREATE INDEX IF NOT EXISTS "idx_user_sessions_user_created" ON "user_sessions" ("user_id","created_at");
CREATE INDEX IF NOT EXISTS "idx_user_sessions_status_revoked" ON "user_sessions" ("status","revoked_at");
CREATE INDEX IF NOT EXISTS "idx_user_sessions_expires_at" ON "user_sessions" ("expires_at");

-- auth_flows <- struct AuthFlow (model/auth_flow.go) (explicit TableName)
CREATE TABLE "auth_flows" (
  "id" bigserial,
  "token_hash" char(64) NOT NULL,
  "purpose" varchar(32) NOT NULL,
  "provider" varchar(64),
  "intent" varchar(16),
  "user_id" bigint,
  "session_id" varchar(64),
  "payload" text,
  "created_at" timestamptz,
  "expires_at" timestamptz NOT NULL,
  "consumed_at" timestamptz,
  PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX IF NOT EXISTS "idx_auth_flows_token_hash" ON "auth_flows" ("token_hash");
CREATE INDEX IF NOT EXISTS "idx_auth_flow_purpose_expiry" ON "auth_flows" ("purpose","expires_at");
CREATE INDEX IF NOT EXISTS "idx_auth_flows_user_id" ON "auth_flows" ("user_id");
CREATE INDEX IF NOT EXISTS "idx_auth_flows_session_id" ON "auth_flows" ("session_id");
CREATE INDEX IF NOT EXISTS "idx_auth_flows_consumed_at" ON "auth_flows" ("consumed_at");

-- external_identity_claims <- struct ExternalIdentityClaim (model/external_identity_claim.go) (explicit TableName)
CREATE TABLE "external_identity_claims" (
  "id" bigserial,
  "provider" varchar(32) NOT NULL,
  "subject" varchar(128) NOT NULL,
  "user_id" bigint NOT NULL,
  "created_at" timestamptz,
  PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX IF NOT EXISTS "idx_external_identity_subject" ON "external_identity_claims" ("provider","subject");
CREATE UNIQUE INDEX IF NOT EXISTS "idx_external_identity_user" ON "external_identity_claims" ("provider","user_id");
CREATE INDEX IF NOT EXISTS "idx_external_identity_claims_user_id" ON "external_identity_claims" ("user_id");

-- passkey_credentials <- struct PasskeyCredential (model/passkey.go)
CREATE TABLE "passkey_credentials" (
  "id" bigserial,
  "user_id" bigint NOT NULL,
  "credential_id" varchar(512) NOT NULL,
  "public_key" text NOT NULL,
  "attestation_type" varchar(255),
  "aa_guid" varchar(512),
  "sign_count" bigint DEFAULT 0,
  "clone_warning" boolean,
  "user_present" boolean,
  "user_verified" boolean,
  "backup_eligible" boolean,
  "backup_state" boolean,
  "transports" text,
  "attachment" varchar(32),
  "last_used_at" timestamptz,
  "created_at" timestamptz,
  "updated_at" timestamptz,
  "deleted_at" timestamptz,
  PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX IF NOT EXISTS "idx_passkey_credentials_user_id" ON "passkey_credentials" ("user_id");
CREATE UNIQUE INDEX IF NOT EXISTS "idx_passkey_credentials_credential_id" ON "passkey_credentials" ("credential_id");
CREATE INDEX IF NOT EXISTS "idx_passkey_credentials_deleted_at" ON "passkey_credentials" ("deleted_at");

-- checkins <- struct Checkin (model/checkin.go) (explicit TableName)
CREATE TABLE "checkins" (
  "id" bigserial,
  "user_id" bigint NOT NULL,
  "checkin_date" varchar(10) NOT NULL,
  "quota_awarded" bigint NOT NULL,
  "created_at" bigint,
  PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX IF NOT EXISTS "idx_user_checkin_date" ON "checkins" ("user_id","checkin_date");

-- subscription_plans <- struct SubscriptionPlan (model/subscription.go)
CREATE TABLE "subscription_plans" (
  "id" bigserial,
  "title" varchar(128) NOT NULL,
  "subtitle" varchar(255) DEFAULT '',
  "price_amount" decimal(10,6) NOT NULL DEFAULT 0.000000,
  "currency" varchar(8) NOT NULL DEFAULT 'USD',
  "duration_unit" varchar(16) NOT NULL DEFAULT 'month',
  "duration_value" bigint NOT NULL DEFAULT 1,
  "custom_seconds" bigint NOT NULL DEFAULT 0,
  "enabled" boolean DEFAULT true,
  "sort_order" bigint DEFAULT 0,
  "allow_balance_pay" boolean,
  "allow_wallet_overflow" boolean,
  "stripe_price_id" varchar(128) DEFAULT '',
  "creem_product_id" varchar(128) DEFAULT '',
  "waffo_pancake_product_id" varchar(128) DEFAULT '',
  "max_purchase_per_user" bigint DEFAULT 0,
  "upgrade_group" varchar(64) DEFAULT '',
  "downgrade_group" varchar(64) DEFAULT '',
  "total_amount" bigint NOT NULL DEFAULT 0,
  "quota_reset_period" varchar(16) DEFAULT 'never',
  "quota_reset_custom_seconds" bigint DEFAULT 0,
  "created_at" bigint,
  "updated_at" bigint,
  PRIMARY KEY ("id")
);

-- subscription_orders <- struct SubscriptionOrder (model/subscription.go)
CREATE TABLE "subscription_orders" (
  "id" bigserial,
  "user_id" bigint,
  "plan_id" bigint,
  "money" decimal,
  "trade_no" varchar(255) UNIQUE,
  "payment_method" varchar(50),
  "payment_provider" varchar(50) DEFAULT '',
  "status" text,
  "create_time" bigint,
  "complete_time" bigint,
  "provider_payload" text,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_subscription_orders_user_id" ON "subscription_orders" ("user_id");
CREATE INDEX IF NOT EXISTS "idx_subscription_orders_plan_id" ON "subscription_orders" ("plan_id");
CREATE INDEX IF NOT EXISTS "idx_subscription_orders_trade_no" ON "subscription_orders" ("trade_no");

-- user_subscriptions <- struct UserSubscription (model/subscription.go)
CREATE TABLE "user_subscriptions" (
  "id" bigserial,
  "user_id" bigint,
  "plan_id" bigint,
  "amount_total" bigint NOT NULL DEFAULT 0,
  "amount_used" bigint NOT NULL DEFAULT 0,
  "start_time" bigint,
  "end_time" bigint,
  "status" varchar(32),
  "source" varchar(32) DEFAULT 'order',
  "last_reset_time" bigint DEFAULT 0,
  "next_reset_time" bigint DEFAULT 0,
  "upgrade_group" varchar(64) DEFAULT '',
  "prev_user_group" varchar(64) DEFAULT '',
  "downgrade_group" varchar(64) DEFAULT '',
  "allow_wallet_overflow" boolean,
  "created_at" bigint,
  "updated_at" bigint,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_user_subscriptions_user_id" ON "user_subscriptions" ("user_id");
CREATE INDEX IF NOT EXISTS "idx_user_sub_active" ON "user_subscriptions" ("user_id","status","end_time");
CREATE INDEX IF NOT EXISTS "idx_user_subscriptions_plan_id" ON "user_subscriptions" ("plan_id");
CREATE INDEX IF NOT EXISTS "idx_user_subscriptions_end_time" ON "user_subscriptions" ("end_time");
CREATE INDEX IF NOT EXISTS "idx_user_subscriptions_status" ON "user_subscriptions" ("status");
CREATE INDEX IF NOT EXISTS "idx_user_subscriptions_next_reset_time" ON "user_subscriptions" ("next_reset_time");

-- subscription_pre_consume_records <- struct SubscriptionPreConsumeRecord (model/subscription.go)
CREATE TABLE "subscription_pre_consume_records" (
  "id" bigserial,
  "request_id" varchar(64),
  "user_id" bigint,
  "user_subscription_id" bigint,
  "pre_consumed" bigint NOT NULL DEFAULT 0,
  "status" varchar(32),
  "created_at" bigint,
  "updated_at" bigint,
  PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX IF NOT EXISTS "idx_subscription_pre_consume_records_request_id" ON "subscription_pre_consume_records" ("request_id");
CREATE INDEX IF NOT EXISTS "idx_subscription_pre_consume_records_user_id" ON "subscription_pre_consume_records" ("user_id");
CREATE INDEX IF NOT EXISTS "idx_subscription_pre_consume_records_user_subscription_id" ON "subscription_pre_consume_records" ("user_subscription_id");
CREATE INDEX IF NOT EXISTS "idx_subscription_pre_consume_records_status" ON "subscription_pre_consume_records" ("status");
CREATE INDEX IF NOT EXISTS "idx_subscription_pre_consume_records_updated_at" ON "subscription_pre_consume_records" ("updated_at");

-- custom_oauth_providers <- struct CustomOAuthProvider (model/custom_oauth_provider.go) (explicit TableName)
CREATE TABLE "custom_oauth_providers" (
  "id" bigserial,
  "name" varchar(64) NOT NULL,
  "slug" varchar(64) NOT NULL,
  "icon" varchar(128) DEFAULT '',
  "enabled" boolean DEFAULT false,
  "client_id" varchar(256),
  "client_secret" varchar(512),
  "authorization_endpoint" varchar(512),
  "token_endpoint" varchar(512),
  "user_info_endpoint" varchar(512),
  "scopes" varchar(256) DEFAULT 'openid profile email',
  "user_id_field" varchar(128) DEFAULT 'sub',
  "username_field" varchar(128) DEFAULT 'preferred_username',
  "display_name_field" varchar(128) DEFAULT 'name',
  "email_field" varchar(128) DEFAULT 'email',
  "well_known" varchar(512),
  "auth_style" bigint DEFAULT 0,
  "access_policy" text,
  "access_denied_message" varchar(512),
  "created_at" timestamptz,
  "updated_at" timestamptz,
  PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX IF NOT EXISTS "idx_custom_oauth_providers_slug" ON "custom_oauth_providers" ("slug");

-- user_oauth_bindings <- struct UserOAuthBinding (model/user_oauth_binding.go) (explicit TableName)
CREATE TABLE "user_oauth_bindings" (
  "id" bigserial,
  "user_id" bigint NOT NULL,
  "provider_id" bigint NOT NULL,
  "provider_user_id" varchar(256) NOT NULL,
  "created_at" timestamptz,
  PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX IF NOT EXISTS "ux_user_provider" ON "user_oauth_bindings" ("user_id","provider_id");
CREATE UNIQUE INDEX IF NOT EXISTS "ux_provider_userid" ON "user_oauth_bindings" ("provider_id","provider_user_id");

-- system_instances <- struct SystemInstance (model/system_instance.go)
CREATE TABLE "system_instances" (
  "node_name" varchar(128),
  "info" text,
  "started_at" bigint,
  "last_seen_at" bigint,
  "created_at" bigint,
  "updated_at" bigint,
  PRIMARY KEY ("node_name")
);
CREATE INDEX IF NOT EXISTS "idx_system_instances_started_at" ON "system_instances" ("started_at");
CREATE INDEX IF NOT EXISTS "idx_system_instances_last_seen_at" ON "system_instances" ("last_seen_at");
CREATE INDEX IF NOT EXISTS "idx_system_instances_created_at" ON "system_instances" ("created_at");
CREATE INDEX IF NOT EXISTS "idx_system_instances_updated_at" ON "system_instances" ("updated_at");

-- system_tasks <- struct SystemTask (model/system_task.go)
CREATE TABLE "system_tasks" (
  "id" bigserial,
  "task_id" varchar(64),
  "type" varchar(64),
  "status" varchar(32),
  "active_key" varchar(64),
  "payload" text,
  "state" text,
  "result" text,
  "error" text,
  "locked_by" varchar(128),
  "created_at" bigint,
  "updated_at" bigint,
  PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX IF NOT EXISTS "idx_system_tasks_task_id" ON "system_tasks" ("task_id");
CREATE INDEX IF NOT EXISTS "idx_system_tasks_type" ON "system_tasks" ("type");
CREATE INDEX IF NOT EXISTS "idx_system_tasks_status" ON "system_tasks" ("status");
CREATE UNIQUE INDEX IF NOT EXISTS "idx_system_tasks_active_key" ON "system_tasks" ("active_key");
CREATE INDEX IF NOT EXISTS "idx_system_tasks_locked_by" ON "system_tasks" ("locked_by");
CREATE INDEX IF NOT EXISTS "idx_system_tasks_created_at" ON "system_tasks" ("created_at");
CREATE INDEX IF NOT EXISTS "idx_system_tasks_updated_at" ON "system_tasks" ("updated_at");

-- system_task_locks <- struct SystemTaskLock (model/system_task.go)
CREATE TABLE "system_task_locks" (
  "type" varchar(64),
  "task_id" varchar(64),
  "locked_by" varchar(128),
  "locked_until" bigint,
  "updated_at" bigint,
  PRIMARY KEY ("type")
);
CREATE INDEX IF NOT EXISTS "idx_system_task_locks_task_id" ON "system_task_locks" ("task_id");
CREATE INDEX IF NOT EXISTS "idx_system_task_locks_locked_by" ON "system_task_locks" ("locked_by");
CREATE INDEX IF NOT EXISTS "idx_system_task_locks_locked_until" ON "system_task_locks" ("locked_until");
CREATE INDEX IF NOT EXISTS "idx_system_task_locks_updated_at" ON "system_task_locks" ("updated_at");

-- casbin_rule <- struct CasbinRule (model/casbin_rule.go) (explicit TableName)
CREATE TABLE "casbin_rule" (
  "id" bigserial,
  "ptype" varchar(100),
  "v0" varchar(100),
  "v1" varchar(100),
  "v2" varchar(100),
  "v3" varchar(100),
  "v4" varchar(100),
  "v5" varchar(100),
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_casbin_rule" ON "casbin_rule" ("ptype","v0","v1","v2","v3","v4","v5");
CREATE UNIQUE INDEX IF NOT EXISTS "idx_casbin_rule_unique" ON "casbin_rule" ("ptype","v0","v1","v2","v3","v4","v5");

-- authz_roles <- struct AuthzRole (model/authz_role.go) (explicit TableName)
CREATE TABLE "authz_roles" (
  "id" bigserial,
  "key" varchar(64) NOT NULL,
  "name" varchar(100) NOT NULL,
  "description" text,
  "built_in" boolean,
  "enabled" boolean,
  "sort" bigint,
  "created_at" bigint,
  "updated_at" bigint,
  PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX IF NOT EXISTS "idx_authz_roles_key" ON "authz_roles" ("key");

-- Opt-in, only for the response action block_token (README "Token blocklist"): lets the aggregator's role read
-- tokens.key in new-api's main database, to publish the SHA-256 of a flagged token's key. The security cost: whoever
-- holds the aggregator's database password can read every API key. Not part of schema/grants.postgres.sql; run it
-- only if a rule in ACTIONS_FILE says block_token: true, as an administrator connected to new-api's main database,
-- after schema/grants-logs.postgres.sql (which creates newapi_agg). scripts/compose-setup accounts block-token prints
-- it with .env's names (schema/fill-grants.sh).
-- Taking it back: REVOKE SELECT (id, key) ON public.tokens FROM newapi_agg;
GRANT CONNECT ON DATABASE "@DB_NAME@" TO newapi_agg;
GRANT USAGE ON SCHEMA public TO newapi_agg;
GRANT SELECT (id, key) ON public.tokens TO newapi_agg;

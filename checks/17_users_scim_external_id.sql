-- Known gap: the natural SCIM lookup by external id cannot use the GIN index on the extracted jsonb
-- value (idx_users_user_metadata_external_id serves only @> and ?), so it scans users (row 17; spec 4.4).
-- expect: seqscan users
-- sample: SELECT user_metadata->>'external_id' FROM users WHERE user_metadata ? 'external_id' ORDER BY id LIMIT 1
SELECT * FROM users WHERE user_metadata->>'external_id' = $1;

-- The only shape idx_users_user_metadata_external_id can serve: containment on the indexed expression,
-- with the index predicate stated (row 17).
-- expect: index idx_users_user_metadata_external_id
-- sample: SELECT user_metadata->>'external_id' FROM users WHERE user_metadata ? 'external_id' ORDER BY id LIMIT 1
SELECT * FROM users
WHERE user_metadata ? 'external_id'
  AND (user_metadata -> 'external_id') @> to_jsonb($1::text);

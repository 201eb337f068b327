-- ORM cascade load of a deleted user's email verifications (row 40).
-- expect: index idx_email_verifications_user_id
-- sample: SELECT user_id FROM email_verifications ORDER BY id LIMIT 1
SELECT * FROM email_verifications WHERE user_id = $1;

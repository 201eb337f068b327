-- ORM delete-orphan cascade load of a deleted user's magic links; also the FK check (row 38).
-- expect: index idx_magic_links_user_id
-- sample: SELECT user_id FROM magic_links ORDER BY id LIMIT 1
SELECT * FROM magic_links WHERE user_id = $1;

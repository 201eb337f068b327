SET lock_timeout = '2s';
ALTER TABLE users ADD CONSTRAINT ck_users_status
    CHECK (status IN ('active', 'inactive'));

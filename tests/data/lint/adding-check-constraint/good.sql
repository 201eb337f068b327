SET lock_timeout = '2s';
ALTER TABLE users ADD CONSTRAINT ck_users_status
    CHECK (status IN ('active', 'inactive')) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT ck_users_status;

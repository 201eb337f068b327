SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN public_id uuid DEFAULT gen_random_uuid();
ALTER TABLE users ADD COLUMN seq bigserial;

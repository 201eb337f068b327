-- Known gap: the unfiltered admin feed has no created_at index to walk, so it scans and sorts (row 11; spec 4.7).
-- source: routers/v1/admin.py:563-587
-- expect: seqscan activity_logs
-- params: 50, 0
SELECT * FROM activity_logs ORDER BY created_at DESC LIMIT $1 OFFSET $2;

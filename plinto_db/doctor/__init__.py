"""`plinto-db doctor`: index health of a live database.

Read the catalogs once (gather) -> decide in pure code, one small unit per health check
(checks/) -> pick the drop candidates (candidates) -> render (report/doctor.py).
"""

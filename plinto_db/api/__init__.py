"""The companion API (`plinto-db serve`): every check query as `GET /q/{check}`, Plinto's flows
under `/flow/{name}`, `/health` and `/metrics`, on FastAPI and uvicorn.

A benchmark target, not an authentication server: no authentication, nothing kept (writes run
in transactions that are rolled back), bound to 127.0.0.1 unless told otherwise.

Rooms: `endpoints` (the registry built from the workload, pure), `prepare` (start-up facts read
from the server, once, in the parent process), `flows` (the Plinto flows), `database` (the pool
and the hot path), `encode` (rows to JSON, pure), `metrics` (timing middleware, Prometheus),
`app` (the FastAPI factory), `runner` (uvicorn).
"""

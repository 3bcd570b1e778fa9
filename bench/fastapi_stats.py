"""The FastAPI peer of `cargo bench --bench load -- --peers`: offcloud's Memgraph `GET /v1/stats`
written by hand as a small FastAPI + SQLite app would be (FastAPI's own SQL tutorial shape: a
plain `def` route, run in the thread pool, one SQLite connection per thread).

    python fastapi_stats.py seed DB API_KEY BELIEFS   # a tenant, its key, BELIEFS beliefs
    python fastapi_stats.py serve DB PORT             # uvicorn on 127.0.0.1:PORT, default settings

The key is stored as its SHA-256, as offcloud stores it; each call looks the key up, then counts
the tenant's data: two indexed statements, as offcloud's route does.
"""

import hashlib
import sqlite3
import sys
import threading

from fastapi import FastAPI, Header, HTTPException
import uvicorn

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (key_hash TEXT PRIMARY KEY, tenant_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS beliefs (
    id INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS beliefs_by_tenant ON beliefs (tenant_id, active);
"""

app = FastAPI()
database = ""
local = threading.local()


def connection() -> sqlite3.Connection:
    conn = getattr(local, "conn", None)
    if conn is None:
        conn = local.conn = sqlite3.connect(database)
    return conn


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@app.get("/v1/stats")
def stats(x_api_key: str = Header()):
    conn = connection()
    row = conn.execute(
        "SELECT tenant_id FROM api_keys WHERE key_hash = ?", (digest(x_api_key),)
    ).fetchone()
    if row is None:
        raise HTTPException(status_code=401, detail="Invalid API key")
    tenant_id = row[0]
    total, active = conn.execute(
        "SELECT count(*), coalesce(sum(active), 0) FROM beliefs WHERE tenant_id = ?",
        (tenant_id,),
    ).fetchone()
    return {
        "tenant_id": tenant_id,
        "total_events": 0,
        "total_episodes": 0,
        "total_beliefs": total,
        "active_beliefs": active,
        "pending_episodes": 0,
        "total_users": 0,
    }


def seed(path: str, key: str, beliefs: int) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    conn.execute("DELETE FROM api_keys")
    conn.execute("DELETE FROM beliefs")
    conn.execute("INSERT INTO api_keys VALUES (?, 'bench')", (digest(key),))
    conn.executemany(
        "INSERT INTO beliefs (tenant_id, subject_id, key, value) VALUES ('bench', ?, 'k', 'v')",
        [(f"user-{i}",) for i in range(beliefs)],
    )
    conn.commit()


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["seed", path, key, beliefs]:
            seed(path, key, int(beliefs))
        case ["serve", path, port]:
            database = path
            uvicorn.run(app, host="127.0.0.1", port=int(port))
        case _:
            sys.exit(__doc__)

-- Memgraph (api.memgraph.ai): tenants, dashboard users, API keys, and the memory records
-- (events, episodes, beliefs) that GET /v1/stats counts. Timestamps are ISO 8601 UTC text
-- of fixed width (see clock::iso), so they sort in time order.

CREATE TABLE memgraph_tenants (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    sector     TEXT,
    settings   TEXT NOT NULL,          -- JSON object
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE memgraph_users (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES memgraph_tenants(id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    email_lower   TEXT NOT NULL UNIQUE, -- logins are by email, across all tenants
    full_name     TEXT,
    password_hash TEXT NOT NULL,        -- argon2id PHC string
    role          TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    is_active     INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX memgraph_users_tenant ON memgraph_users (tenant_id);

CREATE TABLE memgraph_api_keys (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES memgraph_tenants(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    key_prefix   TEXT NOT NULL,         -- first 12 characters, shown in listings
    key_hash     TEXT NOT NULL UNIQUE,  -- SHA-256 hex of the plaintext, which is never stored
    created_by   TEXT,                  -- user id, NULL for the onboarding key
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
) STRICT;
CREATE INDEX memgraph_api_keys_tenant ON memgraph_api_keys (tenant_id);

CREATE TABLE memgraph_episodes (
    id                   TEXT PRIMARY KEY,
    tenant_id            TEXT NOT NULL REFERENCES memgraph_tenants(id) ON DELETE CASCADE,
    user_id              TEXT NOT NULL,
    agent_id             TEXT,
    thread_id            TEXT,
    summary              TEXT,
    tags                 TEXT NOT NULL DEFAULT '[]',
    outcome              TEXT,
    start_time           TEXT NOT NULL,
    end_time             TEXT NOT NULL,
    consolidation_status TEXT NOT NULL DEFAULT 'pending',
    created_at           TEXT NOT NULL
) STRICT;
CREATE INDEX memgraph_episodes_tenant ON memgraph_episodes (tenant_id, user_id);

CREATE TABLE memgraph_events (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES memgraph_tenants(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL,
    agent_id        TEXT,
    thread_id       TEXT,
    event_type      TEXT NOT NULL,
    content_payload TEXT NOT NULL,      -- JSON object
    episode_id      TEXT REFERENCES memgraph_episodes(id) ON DELETE SET NULL,
    timestamp       TEXT NOT NULL
) STRICT;
CREATE INDEX memgraph_events_tenant ON memgraph_events (tenant_id, timestamp);

CREATE TABLE memgraph_beliefs (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES memgraph_tenants(id) ON DELETE CASCADE,
    subject_id       TEXT NOT NULL,
    key              TEXT NOT NULL,
    value            TEXT NOT NULL,
    confidence       REAL NOT NULL,
    belief_type      TEXT NOT NULL,
    domain           TEXT NOT NULL,
    epistemic_status TEXT NOT NULL DEFAULT 'active',
    is_active        INTEGER NOT NULL DEFAULT 1,
    version          INTEGER NOT NULL DEFAULT 1,
    source           TEXT NOT NULL DEFAULT 'api',
    supersedes_id    TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
) STRICT;
CREATE INDEX memgraph_beliefs_subject ON memgraph_beliefs (tenant_id, subject_id, key);

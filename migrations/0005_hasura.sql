-- Hasura Cloud (data.pro.hasura.io): users and their personal access tokens, projects with their
-- tenants and env configs, collaborators, custom domains, and preview-app jobs with their tasks
-- and events. Timestamps are ISO 8601 UTC text of fixed width (clock::iso), so they sort in time
-- order. Region, plan and privilege lists are static seeds in code (src/hasura/seeds.rs).

CREATE TABLE hasura_users (
    id          TEXT PRIMARY KEY,
    email       TEXT NOT NULL,
    email_lower TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE hasura_pats (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES hasura_users(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,  -- SHA-256 of the token, which is shown once
    description TEXT,
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE hasura_projects (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    owner_id   TEXT NOT NULL REFERENCES hasura_users(id) ON DELETE CASCADE,
    plan_name  TEXT NOT NULL,
    endpoint   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE hasura_tenants (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL UNIQUE REFERENCES hasura_projects(id) ON DELETE CASCADE,
    slug       TEXT NOT NULL UNIQUE,   -- the <slug>.hasura.app subdomain
    fqdn       TEXT NOT NULL,
    cloud      TEXT NOT NULL,
    region     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- The tenant's env (Vault on the real service) and its compare-and-swap hash.
CREATE TABLE hasura_configs (
    tenant_id  TEXT PRIMARY KEY REFERENCES hasura_tenants(id) ON DELETE CASCADE,
    env        TEXT NOT NULL,          -- JSON object {KEY: "value"}
    hash       TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE hasura_collaborators (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES hasura_projects(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES hasura_users(id) ON DELETE CASCADE,
    privileges TEXT NOT NULL,          -- JSON array of privilege slugs
    created_at TEXT NOT NULL,
    UNIQUE (project_id, user_id)
) STRICT;

-- Invitations to collaborate, and to take a project over (`ownership`).
CREATE TABLE hasura_invitations (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('collaborator', 'ownership')),
    project_id         TEXT NOT NULL REFERENCES hasura_projects(id) ON DELETE CASCADE,
    collaborator_email TEXT NOT NULL,
    privileges         TEXT NOT NULL,  -- JSON array
    invited_by         TEXT NOT NULL,
    key_hash           TEXT NOT NULL UNIQUE,
    invited_at         TEXT NOT NULL,
    accepted_at        TEXT,
    declined_at        TEXT
) STRICT;

CREATE TABLE hasura_custom_domains (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES hasura_tenants(id) ON DELETE CASCADE,
    fqdn       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- Jobs outlive the projects they created (a deleted preview app keeps its job history).
CREATE TABLE hasura_jobs (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES hasura_users(id) ON DELETE CASCADE,
    job_type     TEXT NOT NULL,
    input        TEXT NOT NULL,        -- JSON
    project_id   TEXT,
    project_name TEXT,
    created_at   TEXT NOT NULL
) STRICT;

CREATE TABLE hasura_tasks (
    id         TEXT PRIMARY KEY,
    job_id     TEXT NOT NULL REFERENCES hasura_jobs(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    cloud      TEXT NOT NULL,
    region     TEXT NOT NULL,
    payload    TEXT NOT NULL,          -- JSON
    created_at TEXT NOT NULL
) STRICT;

-- Events are written when the job is queued, each with the time it happens; reads show only the
-- events whose time has come, so jobs progress with the session clock.
CREATE TABLE hasura_task_events (
    id                TEXT PRIMARY KEY,
    task_id           TEXT NOT NULL REFERENCES hasura_tasks(id) ON DELETE CASCADE,
    event_type        TEXT NOT NULL,
    public_event_data TEXT,            -- JSON
    error             TEXT,
    github_detail     TEXT,
    happens_at        TEXT NOT NULL
) STRICT;
CREATE INDEX hasura_task_events_task ON hasura_task_events (task_id);

-- Injected outcomes (emulator control API): the next preview app with this name ends `failed`
-- or `skipped` instead of succeeding. Names are subdomains, unique across users.
CREATE TABLE hasura_preview_app_outcomes (
    name       TEXT PRIMARY KEY,
    outcome    TEXT NOT NULL CHECK (outcome IN ('failed', 'skipped')),
    error      TEXT,
    created_at TEXT NOT NULL
) STRICT;

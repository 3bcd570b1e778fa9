-- Dgraph Cloud: Cerebro accounts, organizations, CLI refresh tokens, deployments (backends) with
-- their GraphQL schema, data, API keys, lambda logs, exports and restores. Times are ISO 8601 UTC
-- text of fixed width (clock::iso), so they sort in time order.

CREATE TABLE dgraph_accounts (
    id            TEXT PRIMARY KEY,         -- a UUID: the `owner` of deployments
    email         TEXT NOT NULL,
    email_lower   TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,            -- argon2id PHC string
    created_at    TEXT NOT NULL
) STRICT;

CREATE TABLE dgraph_organizations (
    uid        TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES dgraph_accounts(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE dgraph_organization_members (
    organization_uid TEXT NOT NULL REFERENCES dgraph_organizations(uid) ON DELETE CASCADE,
    account_id       TEXT NOT NULL REFERENCES dgraph_accounts(id) ON DELETE CASCADE,
    uid              TEXT NOT NULL,
    PRIMARY KEY (organization_uid, account_id)
) STRICT;

-- The slash-graphql CLI's device-code login and its refresh tokens, stored hashed.
CREATE TABLE dgraph_cli_codes (
    code_hash  TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('device', 'refresh')),
    account_id TEXT REFERENCES dgraph_accounts(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE dgraph_deployments (
    uid              TEXT PRIMARY KEY,
    owner            TEXT NOT NULL REFERENCES dgraph_accounts(id) ON DELETE CASCADE,
    organization_uid TEXT REFERENCES dgraph_organizations(uid) ON DELETE SET NULL,
    name             TEXT NOT NULL,
    zone             TEXT NOT NULL,
    subdomain        TEXT NOT NULL UNIQUE,
    port             INTEGER,               -- its own data-plane listener, when ports are configured
    deployment_mode  TEXT NOT NULL CHECK (deployment_mode IN ('graphql', 'readonly', 'flexible')),
    deployment_type  TEXT NOT NULL CHECK (deployment_type IN ('free', 'shared', 'dedicated')),
    size             TEXT,
    lambda_script    TEXT NOT NULL DEFAULT '',
    tenant_id        INTEGER NOT NULL DEFAULT 0,
    gql_schema       TEXT,                  -- NULL until updateGQLSchema
    created_at       TEXT NOT NULL,
    ready_at         TEXT NOT NULL,         -- creation takes --dgraph-deployment-creation
    frozen_at        TEXT
) STRICT;
CREATE INDEX dgraph_deployments_owner ON dgraph_deployments (owner);

CREATE TABLE dgraph_api_keys (
    uid            TEXT PRIMARY KEY,
    deployment_uid TEXT NOT NULL REFERENCES dgraph_deployments(uid) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'client')),
    key_hash       TEXT NOT NULL UNIQUE,
    created_at     TEXT NOT NULL
) STRICT;

-- The backend's data: JSON objects set through /mutate, restored, exported and dropped.
CREATE TABLE dgraph_nodes (
    id             INTEGER PRIMARY KEY,
    deployment_uid TEXT NOT NULL REFERENCES dgraph_deployments(uid) ON DELETE CASCADE,
    body           TEXT NOT NULL             -- JSON object, `dgraph.type` and predicates
) STRICT;
CREATE INDEX dgraph_nodes_deployment ON dgraph_nodes (deployment_uid);

CREATE TABLE dgraph_lambda_logs (
    id             INTEGER PRIMARY KEY,
    deployment_uid TEXT NOT NULL REFERENCES dgraph_deployments(uid) ON DELETE CASCADE,
    at             TEXT NOT NULL,
    line           TEXT NOT NULL
) STRICT;
CREATE INDEX dgraph_lambda_logs_deployment ON dgraph_lambda_logs (deployment_uid, at);

CREATE TABLE dgraph_exports (
    task_id        TEXT PRIMARY KEY,
    export_id      TEXT NOT NULL,
    deployment_uid TEXT NOT NULL REFERENCES dgraph_deployments(uid) ON DELETE CASCADE,
    format         TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    ready_at       TEXT NOT NULL
) STRICT;

-- Export files, fetched without auth through signed URLs (a signed token naming the task).
CREATE TABLE dgraph_export_files (
    task_id TEXT NOT NULL REFERENCES dgraph_exports(task_id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    content BLOB NOT NULL,                   -- gzip
    PRIMARY KEY (task_id, name)
) STRICT;

CREATE TABLE dgraph_restores (
    id             INTEGER PRIMARY KEY,
    deployment_uid TEXT NOT NULL REFERENCES dgraph_deployments(uid) ON DELETE CASCADE,
    source_uid     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    ready_at       TEXT NOT NULL
) STRICT;

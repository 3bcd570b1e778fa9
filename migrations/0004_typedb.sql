-- TypeDB Cloud (cloud.typedb.com/api/v1): teams, their spaces, the API tokens scoped to one
-- space, and clusters. Times are Unix epoch milliseconds on the session clock.

CREATE TABLE typedb_teams (
    id                 TEXT PRIMARY KEY,
    has_payment_method INTEGER NOT NULL DEFAULT 1,
    created_at_ms      INTEGER NOT NULL
) STRICT;

CREATE TABLE typedb_spaces (
    team_id TEXT NOT NULL REFERENCES typedb_teams(id) ON DELETE CASCADE,
    id      TEXT NOT NULL,
    PRIMARY KEY (team_id, id)
) STRICT;

CREATE TABLE typedb_api_tokens (
    client_id     TEXT PRIMARY KEY,
    secret_hash   TEXT NOT NULL,          -- SHA-256 hex of the client secret, never stored in clear
    name          TEXT NOT NULL,
    team_id       TEXT NOT NULL,
    space_id      TEXT NOT NULL,
    access        TEXT NOT NULL CHECK (access IN ('read', 'write', 'admin')),
    created_at_ms INTEGER NOT NULL,
    FOREIGN KEY (team_id, space_id) REFERENCES typedb_spaces(team_id, id) ON DELETE CASCADE
) STRICT;

CREATE TABLE typedb_clusters (
    team_id          TEXT NOT NULL,
    space_id         TEXT NOT NULL,
    id               TEXT NOT NULL,
    server_count     INTEGER NOT NULL,
    storage_size_gb  INTEGER NOT NULL,
    is_free          INTEGER NOT NULL,
    version          TEXT NOT NULL,
    provider         TEXT NOT NULL,
    region           TEXT NOT NULL,
    machine_type     TEXT NOT NULL,
    storage_type     TEXT NOT NULL,
    backup_frequency TEXT NOT NULL,
    backup_retention INTEGER NOT NULL,
    address_prefix   TEXT NOT NULL,       -- the 6 hex characters of its server addresses
    created_at_ms    INTEGER NOT NULL,
    -- The lifecycle: a status and when it began; transitional statuses settle when read.
    status           TEXT NOT NULL CHECK (status IN
                       ('starting', 'running', 'suspending', 'suspended', 'resuming', 'destroying')),
    status_since_ms  INTEGER NOT NULL,
    servers_down     INTEGER NOT NULL DEFAULT 0, -- destroyed while suspended: no servers to show
    PRIMARY KEY (team_id, space_id, id),
    FOREIGN KEY (team_id, space_id) REFERENCES typedb_spaces(team_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX typedb_clusters_team ON typedb_clusters (team_id, is_free);

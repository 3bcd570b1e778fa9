-- Emulator-wide state of one session.

-- Signing secrets, generated once per session database so tokens survive restarts.
CREATE TABLE offcloud_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Memgraph's v2 records (docs/spec/memgraph.md §6.10, §7.3): the knowledge graph (entities,
-- their name words, relationships), agent decisions, contradictions between belief versions,
-- and saved MCIS snapshots. Every row names its tenant; every list the API serves has an index
-- that starts with the tenant and ends with its order, so a page reads only the page.

CREATE TABLE memgraph_entities (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES memgraph_tenants(id) ON DELETE CASCADE,
    entity_type TEXT NOT NULL,
    name        TEXT,
    name_key    TEXT,                   -- the name, lower-cased: entity resolution
    aliases     TEXT NOT NULL DEFAULT '[]', -- JSON list of strings
    properties  TEXT NOT NULL DEFAULT '{}', -- JSON object
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
CREATE INDEX memgraph_entities_listed ON memgraph_entities (tenant_id, created_at, id);
CREATE INDEX memgraph_entities_typed ON memgraph_entities (tenant_id, entity_type, created_at, id);
-- One entity per type and name in a tenant: creating it again resolves to it.
CREATE UNIQUE INDEX memgraph_entities_named ON memgraph_entities (tenant_id, entity_type, name_key)
    WHERE name_key IS NOT NULL;

-- The words of each entity's name and aliases: search looks words up by prefix here, so it
-- reads what it finds rather than every entity.
CREATE TABLE memgraph_entity_terms (
    tenant_id TEXT NOT NULL,
    term      TEXT NOT NULL,
    entity_id TEXT NOT NULL REFERENCES memgraph_entities(id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, term, entity_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX memgraph_entity_terms_entity ON memgraph_entity_terms (entity_id);

-- Deleting an entity deletes its relationships. The per-entity indexes lead with the entity (the
-- foreign keys' cascades need that) and end with the listing order.
CREATE TABLE memgraph_relationships (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES memgraph_tenants(id) ON DELETE CASCADE,
    source_entity_id TEXT NOT NULL REFERENCES memgraph_entities(id) ON DELETE CASCADE,
    target_entity_id TEXT NOT NULL REFERENCES memgraph_entities(id) ON DELETE CASCADE,
    relation_type    TEXT NOT NULL,
    confidence       REAL NOT NULL,
    valid_from       TEXT,
    valid_to         TEXT,
    evidence_sources TEXT NOT NULL DEFAULT '[]', -- JSON list of strings
    created_at       TEXT NOT NULL
) STRICT;
CREATE INDEX memgraph_relationships_listed ON memgraph_relationships (tenant_id, created_at, id);
CREATE INDEX memgraph_relationships_typed
    ON memgraph_relationships (tenant_id, relation_type, created_at, id);
CREATE INDEX memgraph_relationships_out ON memgraph_relationships (source_entity_id, created_at, id);
CREATE INDEX memgraph_relationships_in ON memgraph_relationships (target_entity_id, created_at, id);

CREATE TABLE memgraph_decisions (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES memgraph_tenants(id) ON DELETE CASCADE,
    goal                TEXT NOT NULL,
    reasoning_steps     TEXT NOT NULL DEFAULT '[]', -- JSON list of objects
    tools_used          TEXT NOT NULL DEFAULT '[]', -- JSON list of objects
    beliefs_used        TEXT NOT NULL DEFAULT '[]', -- JSON list of belief ids
    confidence          REAL,
    outcome             TEXT CHECK (outcome IN ('SUCCESS', 'FAILURE', 'PARTIAL', 'UNKNOWN', 'REVERTED')),
    outcome_assessment  TEXT,
    feedback            TEXT,
    agent_id            TEXT,
    user_id             TEXT,
    episode_id          TEXT,
    context_snapshot    TEXT,                       -- JSON object, when asked for
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    outcome_recorded_at TEXT
) STRICT;
CREATE INDEX memgraph_decisions_listed ON memgraph_decisions (tenant_id, created_at, id);
CREATE INDEX memgraph_decisions_agent ON memgraph_decisions (tenant_id, agent_id, created_at, id);
CREATE INDEX memgraph_decisions_user ON memgraph_decisions (tenant_id, user_id, created_at, id);
CREATE INDEX memgraph_decisions_outcome ON memgraph_decisions (tenant_id, outcome, created_at, id);

-- A write that superseded an active belief with another value: the two versions. Deleting either
-- belief deletes the contradiction (the indexes on the belief ids serve those cascades).
CREATE TABLE memgraph_contradictions (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES memgraph_tenants(id) ON DELETE CASCADE,
    subject_id  TEXT NOT NULL,
    key         TEXT NOT NULL,
    belief_a_id TEXT NOT NULL REFERENCES memgraph_beliefs(id) ON DELETE CASCADE,
    belief_b_id TEXT NOT NULL REFERENCES memgraph_beliefs(id) ON DELETE CASCADE,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dismissed')),
    resolved_by TEXT,
    resolved_at TEXT,
    detected_at TEXT NOT NULL
) STRICT;
CREATE INDEX memgraph_contradictions_listed ON memgraph_contradictions (tenant_id, detected_at, id);
CREATE INDEX memgraph_contradictions_status
    ON memgraph_contradictions (tenant_id, status, detected_at, id);
CREATE INDEX memgraph_contradictions_subject
    ON memgraph_contradictions (tenant_id, subject_id, status, detected_at, id);
CREATE INDEX memgraph_contradictions_a ON memgraph_contradictions (belief_a_id);
CREATE INDEX memgraph_contradictions_b ON memgraph_contradictions (belief_b_id);

-- `GET /v1/intelligence/mcis?save=true` appends here; `/mcis/history` reads it back.
CREATE TABLE memgraph_mcis_snapshots (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES memgraph_tenants(id) ON DELETE CASCADE,
    user_id    TEXT,
    mcis       REAL NOT NULL,
    grade      TEXT NOT NULL,
    sub_scores TEXT NOT NULL,             -- JSON object
    inputs     TEXT NOT NULL,             -- JSON object: the counts the score came from
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX memgraph_mcis_snapshots_listed
    ON memgraph_mcis_snapshots (tenant_id, user_id, created_at, id);

-- The sidecar reads a user's profile (active tenets, preferences, facts) and reminders at every
-- pre-flight: each is one index range, newest first.
CREATE INDEX memgraph_beliefs_profile
    ON memgraph_beliefs (tenant_id, subject_id, belief_type, created_at, id) WHERE is_active = 1;
CREATE INDEX memgraph_beliefs_reminders
    ON memgraph_beliefs (tenant_id, subject_id, created_at, id)
    WHERE is_active = 1 AND domain = 'prospective';

-- `/v1/stats` and `/v2/analytics` read these from the kept counts (migration 0007), kept by the
-- same kind of triggers: a row leaving only updates, so a wipe ends with the counts empty.
ALTER TABLE memgraph_tenant_counts ADD COLUMN entities INTEGER NOT NULL DEFAULT 0;
ALTER TABLE memgraph_tenant_counts ADD COLUMN relationships INTEGER NOT NULL DEFAULT 0;
ALTER TABLE memgraph_tenant_counts ADD COLUMN decisions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE memgraph_tenant_counts ADD COLUMN open_contradictions INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER memgraph_entities_counted AFTER INSERT ON memgraph_entities BEGIN
    INSERT INTO memgraph_tenant_counts (tenant_id, entities) VALUES (NEW.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET entities = entities + 1;
END;

CREATE TRIGGER memgraph_entities_uncounted AFTER DELETE ON memgraph_entities BEGIN
    UPDATE memgraph_tenant_counts SET entities = entities - 1 WHERE tenant_id = OLD.tenant_id;
END;

CREATE TRIGGER memgraph_relationships_counted AFTER INSERT ON memgraph_relationships BEGIN
    INSERT INTO memgraph_tenant_counts (tenant_id, relationships) VALUES (NEW.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET relationships = relationships + 1;
END;

CREATE TRIGGER memgraph_relationships_uncounted AFTER DELETE ON memgraph_relationships BEGIN
    UPDATE memgraph_tenant_counts SET relationships = relationships - 1
     WHERE tenant_id = OLD.tenant_id;
END;

CREATE TRIGGER memgraph_decisions_counted AFTER INSERT ON memgraph_decisions BEGIN
    INSERT INTO memgraph_tenant_counts (tenant_id, decisions) VALUES (NEW.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET decisions = decisions + 1;
END;

CREATE TRIGGER memgraph_decisions_uncounted AFTER DELETE ON memgraph_decisions BEGIN
    UPDATE memgraph_tenant_counts SET decisions = decisions - 1 WHERE tenant_id = OLD.tenant_id;
END;

CREATE TRIGGER memgraph_contradictions_counted AFTER INSERT ON memgraph_contradictions BEGIN
    INSERT INTO memgraph_tenant_counts (tenant_id, open_contradictions)
        VALUES (NEW.tenant_id, NEW.status = 'open')
        ON CONFLICT (tenant_id) DO UPDATE
           SET open_contradictions = open_contradictions + (NEW.status = 'open');
END;

CREATE TRIGGER memgraph_contradictions_uncounted AFTER DELETE ON memgraph_contradictions BEGIN
    UPDATE memgraph_tenant_counts
       SET open_contradictions = open_contradictions - (OLD.status = 'open')
     WHERE tenant_id = OLD.tenant_id;
END;

CREATE TRIGGER memgraph_contradictions_recounted
AFTER UPDATE OF status ON memgraph_contradictions BEGIN
    UPDATE memgraph_tenant_counts
       SET open_contradictions = open_contradictions - (OLD.status = 'open') + (NEW.status = 'open')
     WHERE tenant_id = NEW.tenant_id;
END;

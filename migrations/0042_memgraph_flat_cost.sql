-- Memgraph: every list, lookup and search costs in proportion to what it returns, not to what
-- the tenant stores.

-- Lists: one index per filter a list takes, in the order it pages (newest first; the rowid that
-- ends every index breaks ties).
CREATE INDEX memgraph_beliefs_active_created ON memgraph_beliefs (tenant_id, created_at, id)
    WHERE is_active = 1;
CREATE INDEX memgraph_beliefs_subject_created ON memgraph_beliefs (tenant_id, subject_id, created_at, id);
CREATE INDEX memgraph_beliefs_domain_created ON memgraph_beliefs (tenant_id, domain, created_at, id);
CREATE INDEX memgraph_beliefs_type_created ON memgraph_beliefs (tenant_id, belief_type, created_at, id);
-- The next version of a key starts after its highest (and a key's history is read in order):
-- this serves all that 0002's index on (tenant_id, subject_id, key) did, one write fewer.
CREATE INDEX memgraph_beliefs_versions ON memgraph_beliefs (tenant_id, subject_id, key, version);
DROP INDEX memgraph_beliefs_subject;
-- The sidecar's profile (a subject's active beliefs of one type, newest first; migration 0020)
-- with the type before the subject: the same index then counts a type's active beliefs for
-- `GET /v1/beliefs?belief_type=`, reading only those.
DROP INDEX memgraph_beliefs_profile;
CREATE INDEX memgraph_beliefs_profile
    ON memgraph_beliefs (tenant_id, belief_type, subject_id, created_at, id) WHERE is_active = 1;
-- A subject's timeline: when each version was created, or stopped being active.
CREATE INDEX memgraph_beliefs_timeline ON memgraph_beliefs
    (tenant_id, subject_id, (CASE WHEN is_active THEN created_at ELSE updated_at END), version);

CREATE INDEX memgraph_events_user ON memgraph_events (tenant_id, user_id, timestamp);
CREATE INDEX memgraph_events_thread ON memgraph_events (tenant_id, thread_id, timestamp);
CREATE INDEX memgraph_events_type ON memgraph_events (tenant_id, event_type, timestamp);
CREATE INDEX memgraph_events_in_episode ON memgraph_events (tenant_id, episode_id, timestamp);

CREATE INDEX memgraph_episodes_started ON memgraph_episodes (tenant_id, start_time);
CREATE INDEX memgraph_episodes_user_started ON memgraph_episodes (tenant_id, user_id, start_time);
CREATE INDEX memgraph_episodes_thread_started ON memgraph_episodes (tenant_id, thread_id, start_time);
CREATE INDEX memgraph_episodes_status_started ON memgraph_episodes
    (tenant_id, consolidation_status, start_time);

-- Search (`/v2/context`, `/v1/context`): an inverted index of the memories' words.
--
-- `search_bag` is a memory's words as the ranking counts them (`search.rs`: a JSON object, word
-- to weighted count), written by the store with the row; NULL until then (a row loaded from a
-- state document without it, or from before this migration), and the store indexes such rows
-- before it searches. Everything else here follows from the bags, by triggers: which memories
-- hold a word, and the size of each collection the ranking scores against (a tenant's
-- memories, or one user's), so a query reads the postings of its words and two kept figures
-- instead of every memory. Derived tables (`db::DERIVED_TABLES`): a snapshot leaves them out and
-- the triggers rebuild them as the rows come back.
ALTER TABLE memgraph_beliefs ADD COLUMN search_bag TEXT;
ALTER TABLE memgraph_events ADD COLUMN search_bag TEXT;
CREATE INDEX memgraph_beliefs_unindexed ON memgraph_beliefs (tenant_id) WHERE search_bag IS NULL;
CREATE INDEX memgraph_events_unindexed ON memgraph_events (tenant_id) WHERE search_bag IS NULL;

-- Which memories hold a word: a posting per word of each memory, by tenant, word and user.
CREATE TABLE memgraph_search_terms (
    tenant_id TEXT NOT NULL,
    term      TEXT NOT NULL,
    user_id   TEXT NOT NULL,            -- a belief's subject_id, an event's user_id
    kind      TEXT NOT NULL,            -- 'belief' or 'event'
    doc       INTEGER NOT NULL,         -- its rowid
    PRIMARY KEY (tenant_id, term, user_id, kind, doc)
) STRICT, WITHOUT ROWID;

-- The collections a query ranks against: how many memories, and their total weighted length.
-- Beliefs count while active or superseded (the context lists both); every event counts.
CREATE TABLE memgraph_search_tenants (
    tenant_id TEXT PRIMARY KEY,
    docs      INTEGER NOT NULL,
    length    REAL NOT NULL
) STRICT;

CREATE TABLE memgraph_search_users (
    tenant_id TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    docs      INTEGER NOT NULL,
    length    REAL NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
) STRICT, WITHOUT ROWID;

-- Beliefs. A row leaving only ever updates the figures (never inserts), so a wipe that empties
-- them before the data ends with them empty too.
CREATE TRIGGER memgraph_beliefs_indexed AFTER INSERT ON memgraph_beliefs
WHEN NEW.search_bag IS NOT NULL BEGIN
    INSERT INTO memgraph_search_terms (tenant_id, term, user_id, kind, doc)
        SELECT NEW.tenant_id, key, NEW.subject_id, 'belief', NEW.rowid FROM json_each(NEW.search_bag);
    INSERT INTO memgraph_search_tenants (tenant_id, docs, length)
        SELECT NEW.tenant_id, 1, (SELECT total(value) FROM json_each(NEW.search_bag))
         WHERE NEW.epistemic_status IN ('active', 'superseded')
        ON CONFLICT (tenant_id) DO UPDATE
           SET docs = docs + 1, length = length + excluded.length;
    INSERT INTO memgraph_search_users (tenant_id, user_id, docs, length)
        SELECT NEW.tenant_id, NEW.subject_id, 1, (SELECT total(value) FROM json_each(NEW.search_bag))
         WHERE NEW.epistemic_status IN ('active', 'superseded')
        ON CONFLICT (tenant_id, user_id) DO UPDATE
           SET docs = docs + 1, length = length + excluded.length;
END;

CREATE TRIGGER memgraph_beliefs_unindexed AFTER DELETE ON memgraph_beliefs
WHEN OLD.search_bag IS NOT NULL BEGIN
    DELETE FROM memgraph_search_terms
     WHERE tenant_id = OLD.tenant_id AND user_id = OLD.subject_id AND kind = 'belief'
       AND doc = OLD.rowid AND term IN (SELECT key FROM json_each(OLD.search_bag));
    UPDATE memgraph_search_tenants
       SET docs = docs - 1, length = length - (SELECT total(value) FROM json_each(OLD.search_bag))
     WHERE tenant_id = OLD.tenant_id AND OLD.epistemic_status IN ('active', 'superseded');
    UPDATE memgraph_search_users
       SET docs = docs - 1, length = length - (SELECT total(value) FROM json_each(OLD.search_bag))
     WHERE tenant_id = OLD.tenant_id AND user_id = OLD.subject_id
       AND OLD.epistemic_status IN ('active', 'superseded');
END;

CREATE TRIGGER memgraph_beliefs_reindexed
AFTER UPDATE OF search_bag, tenant_id, subject_id ON memgraph_beliefs
WHEN OLD.search_bag IS NOT NEW.search_bag OR OLD.tenant_id <> NEW.tenant_id
  OR OLD.subject_id <> NEW.subject_id BEGIN
    DELETE FROM memgraph_search_terms
     WHERE tenant_id = OLD.tenant_id AND user_id = OLD.subject_id AND kind = 'belief'
       AND doc = OLD.rowid AND term IN (SELECT key FROM json_each(OLD.search_bag));
    INSERT INTO memgraph_search_terms (tenant_id, term, user_id, kind, doc)
        SELECT NEW.tenant_id, key, NEW.subject_id, 'belief', NEW.rowid FROM json_each(NEW.search_bag);
END;

-- Superseding a version (active to superseded) changes nothing here, and is skipped.
CREATE TRIGGER memgraph_beliefs_recounted_for_search
AFTER UPDATE OF search_bag, tenant_id, subject_id, epistemic_status ON memgraph_beliefs
WHEN NOT (OLD.search_bag IS NEW.search_bag AND OLD.tenant_id = NEW.tenant_id
          AND OLD.subject_id = NEW.subject_id
          AND (OLD.epistemic_status IN ('active', 'superseded'))
            = (NEW.epistemic_status IN ('active', 'superseded'))) BEGIN
    UPDATE memgraph_search_tenants
       SET docs = docs - 1, length = length - (SELECT total(value) FROM json_each(OLD.search_bag))
     WHERE tenant_id = OLD.tenant_id AND OLD.search_bag IS NOT NULL
       AND OLD.epistemic_status IN ('active', 'superseded');
    UPDATE memgraph_search_users
       SET docs = docs - 1, length = length - (SELECT total(value) FROM json_each(OLD.search_bag))
     WHERE tenant_id = OLD.tenant_id AND user_id = OLD.subject_id AND OLD.search_bag IS NOT NULL
       AND OLD.epistemic_status IN ('active', 'superseded');
    INSERT INTO memgraph_search_tenants (tenant_id, docs, length)
        SELECT NEW.tenant_id, 1, (SELECT total(value) FROM json_each(NEW.search_bag))
         WHERE NEW.search_bag IS NOT NULL AND NEW.epistemic_status IN ('active', 'superseded')
        ON CONFLICT (tenant_id) DO UPDATE
           SET docs = docs + 1, length = length + excluded.length;
    INSERT INTO memgraph_search_users (tenant_id, user_id, docs, length)
        SELECT NEW.tenant_id, NEW.subject_id, 1, (SELECT total(value) FROM json_each(NEW.search_bag))
         WHERE NEW.search_bag IS NOT NULL AND NEW.epistemic_status IN ('active', 'superseded')
        ON CONFLICT (tenant_id, user_id) DO UPDATE
           SET docs = docs + 1, length = length + excluded.length;
END;

-- A text changed without its bag (the store writes both together): the row is indexed again.
CREATE TRIGGER memgraph_beliefs_rewritten AFTER UPDATE OF key, value ON memgraph_beliefs
WHEN NEW.search_bag IS NOT NULL AND NEW.search_bag IS OLD.search_bag
  AND (OLD.key <> NEW.key OR OLD.value <> NEW.value) BEGIN
    UPDATE memgraph_beliefs SET search_bag = NULL WHERE rowid = NEW.rowid;
END;

-- Events, every one of which is searched.
CREATE TRIGGER memgraph_events_indexed AFTER INSERT ON memgraph_events
WHEN NEW.search_bag IS NOT NULL BEGIN
    INSERT INTO memgraph_search_terms (tenant_id, term, user_id, kind, doc)
        SELECT NEW.tenant_id, key, NEW.user_id, 'event', NEW.rowid FROM json_each(NEW.search_bag);
    INSERT INTO memgraph_search_tenants (tenant_id, docs, length)
        SELECT NEW.tenant_id, 1, (SELECT total(value) FROM json_each(NEW.search_bag)) WHERE true
        ON CONFLICT (tenant_id) DO UPDATE
           SET docs = docs + 1, length = length + excluded.length;
    INSERT INTO memgraph_search_users (tenant_id, user_id, docs, length)
        SELECT NEW.tenant_id, NEW.user_id, 1, (SELECT total(value) FROM json_each(NEW.search_bag)) WHERE true
        ON CONFLICT (tenant_id, user_id) DO UPDATE
           SET docs = docs + 1, length = length + excluded.length;
END;

CREATE TRIGGER memgraph_events_unindexed AFTER DELETE ON memgraph_events
WHEN OLD.search_bag IS NOT NULL BEGIN
    DELETE FROM memgraph_search_terms
     WHERE tenant_id = OLD.tenant_id AND user_id = OLD.user_id AND kind = 'event'
       AND doc = OLD.rowid AND term IN (SELECT key FROM json_each(OLD.search_bag));
    UPDATE memgraph_search_tenants
       SET docs = docs - 1, length = length - (SELECT total(value) FROM json_each(OLD.search_bag))
     WHERE tenant_id = OLD.tenant_id;
    UPDATE memgraph_search_users
       SET docs = docs - 1, length = length - (SELECT total(value) FROM json_each(OLD.search_bag))
     WHERE tenant_id = OLD.tenant_id AND user_id = OLD.user_id;
END;

CREATE TRIGGER memgraph_events_reindexed
AFTER UPDATE OF search_bag, tenant_id, user_id ON memgraph_events
WHEN OLD.search_bag IS NOT NEW.search_bag OR OLD.tenant_id <> NEW.tenant_id
  OR OLD.user_id <> NEW.user_id BEGIN
    DELETE FROM memgraph_search_terms
     WHERE tenant_id = OLD.tenant_id AND user_id = OLD.user_id AND kind = 'event'
       AND doc = OLD.rowid AND term IN (SELECT key FROM json_each(OLD.search_bag));
    UPDATE memgraph_search_tenants
       SET docs = docs - 1, length = length - (SELECT total(value) FROM json_each(OLD.search_bag))
     WHERE tenant_id = OLD.tenant_id AND OLD.search_bag IS NOT NULL;
    UPDATE memgraph_search_users
       SET docs = docs - 1, length = length - (SELECT total(value) FROM json_each(OLD.search_bag))
     WHERE tenant_id = OLD.tenant_id AND user_id = OLD.user_id AND OLD.search_bag IS NOT NULL;
    INSERT INTO memgraph_search_terms (tenant_id, term, user_id, kind, doc)
        SELECT NEW.tenant_id, key, NEW.user_id, 'event', NEW.rowid FROM json_each(NEW.search_bag);
    INSERT INTO memgraph_search_tenants (tenant_id, docs, length)
        SELECT NEW.tenant_id, 1, (SELECT total(value) FROM json_each(NEW.search_bag))
         WHERE NEW.search_bag IS NOT NULL
        ON CONFLICT (tenant_id) DO UPDATE
           SET docs = docs + 1, length = length + excluded.length;
    INSERT INTO memgraph_search_users (tenant_id, user_id, docs, length)
        SELECT NEW.tenant_id, NEW.user_id, 1, (SELECT total(value) FROM json_each(NEW.search_bag))
         WHERE NEW.search_bag IS NOT NULL
        ON CONFLICT (tenant_id, user_id) DO UPDATE
           SET docs = docs + 1, length = length + excluded.length;
END;

CREATE TRIGGER memgraph_events_rewritten AFTER UPDATE OF event_type, content_payload ON memgraph_events
WHEN NEW.search_bag IS NOT NULL AND NEW.search_bag IS OLD.search_bag
  AND (OLD.event_type <> NEW.event_type OR OLD.content_payload <> NEW.content_payload) BEGIN
    UPDATE memgraph_events SET search_bag = NULL WHERE rowid = NEW.rowid;
END;

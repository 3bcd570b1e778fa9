-- Memgraph: the tables that grow with every belief name its tenant by a small number.
--
-- A belief is written into its table and a dozen indexes, each led by the tenant, and into a
-- posting per word of it and a row per user (migration 0042): about 16 keys a belief. With the
-- tenant as its 36-character id, each key carried the id again, so 100,000 beliefs took
-- 156 MiB of pages, each batch dirtying pages spread over all of them; with the tenant as an
-- integer, 103 MiB, and SQLite's share of writing them about a fifth less. The belief row
-- keeps the id too (what a belief answers with, read with the row); one foreign key holds the
-- two together. Events, episodes and the per-tenant figures still name the tenant by its id.

-- A tenant's number: given when it is made, never changed (a belief's key to it does not
-- follow a change), and not its rowid, which a VACUUM may renumber.
ALTER TABLE memgraph_tenants ADD COLUMN number INTEGER;
UPDATE memgraph_tenants SET number = rowid;
CREATE UNIQUE INDEX memgraph_tenants_number ON memgraph_tenants (number);
CREATE UNIQUE INDEX memgraph_tenants_id_number ON memgraph_tenants (id, number);
CREATE TRIGGER memgraph_tenants_numbered AFTER INSERT ON memgraph_tenants
WHEN NEW.number IS NULL BEGIN
    UPDATE memgraph_tenants
       SET number = (SELECT coalesce(max(number), 0) + 1 FROM memgraph_tenants)
     WHERE rowid = NEW.rowid;
END;

-- The triggers of the tables rebuilt below and of those writing into them, made again at the
-- end (a table renamed in place of another must not leave a trigger naming a column it lacks).
DROP TRIGGER memgraph_events_counted;
DROP TRIGGER memgraph_events_uncounted;
DROP TRIGGER memgraph_events_recounted;
DROP TRIGGER memgraph_events_indexed;
DROP TRIGGER memgraph_events_unindexed;
DROP TRIGGER memgraph_events_reindexed;

-- Beliefs, rebuilt with the number beside the id. Dropping the old table deletes its rows
-- first, and with them (their foreign keys cascade) every contradiction: kept aside and put
-- back, each figure their triggers keep ending where it was.
CREATE TABLE memgraph_beliefs_numbered (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    tenant_number    INTEGER NOT NULL,
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
    updated_at       TEXT NOT NULL,
    search_bag       TEXT,
    FOREIGN KEY (tenant_id, tenant_number) REFERENCES memgraph_tenants (id, number)
        ON DELETE CASCADE
) STRICT;
INSERT INTO memgraph_beliefs_numbered
      (rowid, id, tenant_id, tenant_number, subject_id, key, value, confidence, belief_type,
       domain, epistemic_status, is_active, version, source, supersedes_id, created_at,
       updated_at, search_bag)
SELECT b.rowid, b.id, b.tenant_id, t.number, b.subject_id, b.key, b.value, b.confidence,
       b.belief_type, b.domain, b.epistemic_status, b.is_active, b.version, b.source,
       b.supersedes_id, b.created_at, b.updated_at, b.search_bag
  FROM memgraph_beliefs b JOIN memgraph_tenants t ON t.id = b.tenant_id;

CREATE TEMP TABLE kept_contradictions AS SELECT rowid AS kept_rowid, * FROM memgraph_contradictions;
DROP TABLE memgraph_beliefs;
ALTER TABLE memgraph_beliefs_numbered RENAME TO memgraph_beliefs;
INSERT INTO memgraph_contradictions
      (rowid, id, tenant_id, subject_id, key, belief_a_id, belief_b_id, status, resolved_by,
       resolved_at, detected_at)
SELECT kept_rowid, id, tenant_id, subject_id, key, belief_a_id, belief_b_id, status,
       resolved_by, resolved_at, detected_at
  FROM temp.kept_contradictions;
DROP TABLE temp.kept_contradictions;

-- The indexes of migrations 0003, 0020 and 0042, led by the number.
CREATE UNIQUE INDEX memgraph_beliefs_active ON memgraph_beliefs (tenant_number, subject_id, key)
    WHERE is_active = 1;
CREATE INDEX memgraph_beliefs_created ON memgraph_beliefs (tenant_number, created_at, id);
CREATE INDEX memgraph_beliefs_reminders
    ON memgraph_beliefs (tenant_number, subject_id, created_at, id)
    WHERE is_active = 1 AND domain = 'prospective';
CREATE INDEX memgraph_beliefs_active_created ON memgraph_beliefs (tenant_number, created_at, id)
    WHERE is_active = 1;
CREATE INDEX memgraph_beliefs_subject_created
    ON memgraph_beliefs (tenant_number, subject_id, created_at, id);
CREATE INDEX memgraph_beliefs_domain_created
    ON memgraph_beliefs (tenant_number, domain, created_at, id);
CREATE INDEX memgraph_beliefs_type_created
    ON memgraph_beliefs (tenant_number, belief_type, created_at, id);
CREATE INDEX memgraph_beliefs_versions ON memgraph_beliefs (tenant_number, subject_id, key, version);
CREATE INDEX memgraph_beliefs_profile
    ON memgraph_beliefs (tenant_number, belief_type, subject_id, created_at, id) WHERE is_active = 1;
CREATE INDEX memgraph_beliefs_superseded ON memgraph_beliefs (tenant_number, created_at, id)
    WHERE epistemic_status = 'superseded';
CREATE INDEX memgraph_beliefs_timeline ON memgraph_beliefs
    (tenant_number, subject_id, (CASE WHEN is_active THEN created_at ELSE updated_at END), version);
CREATE INDEX memgraph_beliefs_unindexed ON memgraph_beliefs (tenant_number) WHERE search_bag IS NULL;

-- The derived tables that grow with the beliefs, by number (still derived: a snapshot leaves
-- them out).
CREATE TABLE memgraph_search_terms_numbered (
    tenant_number INTEGER NOT NULL,
    term          TEXT NOT NULL,
    user_id       TEXT NOT NULL,            -- a belief's subject_id, an event's user_id
    kind          TEXT NOT NULL,            -- 'belief' or 'event'
    doc           INTEGER NOT NULL,         -- its rowid
    PRIMARY KEY (tenant_number, term, user_id, kind, doc)
) STRICT, WITHOUT ROWID;
INSERT INTO memgraph_search_terms_numbered
SELECT t.number, s.term, s.user_id, s.kind, s.doc
  FROM memgraph_search_terms s JOIN memgraph_tenants t ON t.id = s.tenant_id;
DROP TABLE memgraph_search_terms;
ALTER TABLE memgraph_search_terms_numbered RENAME TO memgraph_search_terms;

CREATE TABLE memgraph_search_users_numbered (
    tenant_number INTEGER NOT NULL,
    user_id       TEXT NOT NULL,
    docs          INTEGER NOT NULL,
    length        REAL NOT NULL,
    PRIMARY KEY (tenant_number, user_id)
) STRICT, WITHOUT ROWID;
INSERT INTO memgraph_search_users_numbered
SELECT t.number, s.user_id, s.docs, s.length
  FROM memgraph_search_users s JOIN memgraph_tenants t ON t.id = s.tenant_id;
DROP TABLE memgraph_search_users;
ALTER TABLE memgraph_search_users_numbered RENAME TO memgraph_search_users;

CREATE TABLE memgraph_tenant_users_numbered (
    tenant_number INTEGER NOT NULL,
    user_id       TEXT NOT NULL,
    refs          INTEGER NOT NULL,
    PRIMARY KEY (tenant_number, user_id)
) STRICT, WITHOUT ROWID;
INSERT INTO memgraph_tenant_users_numbered
SELECT t.number, u.user_id, u.refs
  FROM memgraph_tenant_users u JOIN memgraph_tenants t ON t.id = u.tenant_id;
DROP TABLE memgraph_tenant_users;
ALTER TABLE memgraph_tenant_users_numbered RENAME TO memgraph_tenant_users;

-- The triggers, as migrations 0007, 0042 and 0062 left them, with the number where a table
-- above is written. (A wipe may empty the tenants first: a figure whose tenant is gone is
-- then left alone, and wiped with the rest.)
-- A tenant deleted takes its figures with it: its rows go by cascade, and what the triggers
-- below keep by its id from rows that name it by number, or the reverse, could no longer be
-- found once the tenant is gone.
CREATE TRIGGER memgraph_tenants_deleted AFTER DELETE ON memgraph_tenants BEGIN
    DELETE FROM memgraph_tenant_counts WHERE tenant_id = OLD.id;
    DELETE FROM memgraph_search_tenants WHERE tenant_id = OLD.id;
    DELETE FROM memgraph_tenant_users WHERE tenant_number = OLD.number;
    DELETE FROM memgraph_search_users WHERE tenant_number = OLD.number;
    DELETE FROM memgraph_search_terms WHERE tenant_number = OLD.number;
END;

CREATE TRIGGER memgraph_tenant_users_added AFTER INSERT ON memgraph_tenant_users BEGIN
    INSERT INTO memgraph_tenant_counts (tenant_id, users)
        SELECT id, 1 FROM memgraph_tenants WHERE number = NEW.tenant_number
        ON CONFLICT (tenant_id) DO UPDATE SET users = users + 1;
END;

CREATE TRIGGER memgraph_tenant_users_removed AFTER DELETE ON memgraph_tenant_users BEGIN
    UPDATE memgraph_tenant_counts SET users = users - 1
     WHERE tenant_id = (SELECT id FROM memgraph_tenants WHERE number = OLD.tenant_number);
END;

-- Events.
CREATE TRIGGER memgraph_events_counted AFTER INSERT ON memgraph_events BEGIN
    INSERT INTO memgraph_tenant_counts (tenant_id, events) VALUES (NEW.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET events = events + 1;
    INSERT INTO memgraph_tenant_users (tenant_number, user_id, refs)
        SELECT number, NEW.user_id, 1 FROM memgraph_tenants WHERE id = NEW.tenant_id
        ON CONFLICT (tenant_number, user_id) DO UPDATE SET refs = refs + 1;
END;

CREATE TRIGGER memgraph_events_uncounted AFTER DELETE ON memgraph_events BEGIN
    UPDATE memgraph_tenant_counts SET events = events - 1 WHERE tenant_id = OLD.tenant_id;
    UPDATE memgraph_tenant_users SET refs = refs - 1
     WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = OLD.tenant_id)
       AND user_id = OLD.user_id;
    DELETE FROM memgraph_tenant_users
     WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = OLD.tenant_id)
       AND user_id = OLD.user_id AND refs <= 0;
END;

CREATE TRIGGER memgraph_events_recounted AFTER UPDATE OF tenant_id, user_id ON memgraph_events
BEGIN
    UPDATE memgraph_tenant_counts SET events = events - 1 WHERE tenant_id = OLD.tenant_id;
    UPDATE memgraph_tenant_users SET refs = refs - 1
     WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = OLD.tenant_id)
       AND user_id = OLD.user_id;
    DELETE FROM memgraph_tenant_users
     WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = OLD.tenant_id)
       AND user_id = OLD.user_id AND refs <= 0;
    INSERT INTO memgraph_tenant_counts (tenant_id, events) VALUES (NEW.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET events = events + 1;
    INSERT INTO memgraph_tenant_users (tenant_number, user_id, refs)
        SELECT number, NEW.user_id, 1 FROM memgraph_tenants WHERE id = NEW.tenant_id
        ON CONFLICT (tenant_number, user_id) DO UPDATE SET refs = refs + 1;
END;

CREATE TRIGGER memgraph_events_indexed AFTER INSERT ON memgraph_events
WHEN NEW.search_bag IS NOT NULL BEGIN
    INSERT INTO memgraph_search_terms (tenant_number, term, user_id, kind, doc)
        SELECT (SELECT number FROM memgraph_tenants WHERE id = NEW.tenant_id), key, NEW.user_id,
               'event', NEW.rowid
          FROM json_each(NEW.search_bag);
    INSERT INTO memgraph_search_tenants (tenant_id, docs, length)
        SELECT NEW.tenant_id, 1, (SELECT total(value) FROM json_each(NEW.search_bag)) WHERE true
        ON CONFLICT (tenant_id) DO UPDATE
           SET docs = docs + 1, length = length + excluded.length;
    INSERT INTO memgraph_search_users (tenant_number, user_id, docs, length)
        SELECT number, NEW.user_id, 1, (SELECT total(value) FROM json_each(NEW.search_bag))
          FROM memgraph_tenants WHERE id = NEW.tenant_id
        ON CONFLICT (tenant_number, user_id) DO UPDATE
           SET docs = docs + 1, length = length + excluded.length;
END;

CREATE TRIGGER memgraph_events_unindexed AFTER DELETE ON memgraph_events
WHEN OLD.search_bag IS NOT NULL BEGIN
    DELETE FROM memgraph_search_terms
     WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = OLD.tenant_id)
       AND user_id = OLD.user_id AND kind = 'event'
       AND doc = OLD.rowid AND term IN (SELECT key FROM json_each(OLD.search_bag));
    UPDATE memgraph_search_tenants
       SET docs = docs - 1, length = length - (SELECT total(value) FROM json_each(OLD.search_bag))
     WHERE tenant_id = OLD.tenant_id;
    UPDATE memgraph_search_users
       SET docs = docs - 1, length = length - (SELECT total(value) FROM json_each(OLD.search_bag))
     WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = OLD.tenant_id)
       AND user_id = OLD.user_id;
END;

CREATE TRIGGER memgraph_events_reindexed
AFTER UPDATE OF search_bag, tenant_id, user_id ON memgraph_events
WHEN OLD.search_bag IS NOT NEW.search_bag OR OLD.tenant_id <> NEW.tenant_id
  OR OLD.user_id <> NEW.user_id BEGIN
    DELETE FROM memgraph_search_terms
     WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = OLD.tenant_id)
       AND user_id = OLD.user_id AND kind = 'event'
       AND doc = OLD.rowid AND term IN (SELECT key FROM json_each(OLD.search_bag));
    UPDATE memgraph_search_tenants
       SET docs = docs - 1, length = length - (SELECT total(value) FROM json_each(OLD.search_bag))
     WHERE tenant_id = OLD.tenant_id AND OLD.search_bag IS NOT NULL;
    UPDATE memgraph_search_users
       SET docs = docs - 1, length = length - (SELECT total(value) FROM json_each(OLD.search_bag))
     WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = OLD.tenant_id)
       AND user_id = OLD.user_id AND OLD.search_bag IS NOT NULL;
    INSERT INTO memgraph_search_terms (tenant_number, term, user_id, kind, doc)
        SELECT (SELECT number FROM memgraph_tenants WHERE id = NEW.tenant_id), key, NEW.user_id,
               'event', NEW.rowid
          FROM json_each(NEW.search_bag);
    INSERT INTO memgraph_search_tenants (tenant_id, docs, length)
        SELECT NEW.tenant_id, 1, (SELECT total(value) FROM json_each(NEW.search_bag))
         WHERE NEW.search_bag IS NOT NULL
        ON CONFLICT (tenant_id) DO UPDATE
           SET docs = docs + 1, length = length + excluded.length;
    INSERT INTO memgraph_search_users (tenant_number, user_id, docs, length)
        SELECT number, NEW.user_id, 1, (SELECT total(value) FROM json_each(NEW.search_bag))
          FROM memgraph_tenants WHERE id = NEW.tenant_id AND NEW.search_bag IS NOT NULL
        ON CONFLICT (tenant_number, user_id) DO UPDATE
           SET docs = docs + 1, length = length + excluded.length;
END;

-- Beliefs. A batch writes what these would itself (migration 0062).
CREATE TRIGGER memgraph_beliefs_counted AFTER INSERT ON memgraph_beliefs
WHEN NOT EXISTS (SELECT 1 FROM memgraph_belief_batches) BEGIN
    INSERT INTO memgraph_tenant_counts (tenant_id, beliefs, active_beliefs)
        VALUES (NEW.tenant_id, 1, NEW.is_active <> 0)
        ON CONFLICT (tenant_id) DO UPDATE
           SET beliefs = beliefs + 1, active_beliefs = active_beliefs + (NEW.is_active <> 0);
    INSERT INTO memgraph_tenant_users (tenant_number, user_id, refs)
        VALUES (NEW.tenant_number, NEW.subject_id, 1)
        ON CONFLICT (tenant_number, user_id) DO UPDATE SET refs = refs + 1;
END;

CREATE TRIGGER memgraph_beliefs_uncounted AFTER DELETE ON memgraph_beliefs BEGIN
    UPDATE memgraph_tenant_counts
       SET beliefs = beliefs - 1, active_beliefs = active_beliefs - (OLD.is_active <> 0)
     WHERE tenant_id = OLD.tenant_id;
    UPDATE memgraph_tenant_users SET refs = refs - 1
     WHERE tenant_number = OLD.tenant_number AND user_id = OLD.subject_id;
    DELETE FROM memgraph_tenant_users
     WHERE tenant_number = OLD.tenant_number AND user_id = OLD.subject_id AND refs <= 0;
END;

CREATE TRIGGER memgraph_beliefs_recounted
AFTER UPDATE OF tenant_id, tenant_number, subject_id, is_active ON memgraph_beliefs BEGIN
    UPDATE memgraph_tenant_counts
       SET beliefs = beliefs - 1, active_beliefs = active_beliefs - (OLD.is_active <> 0)
     WHERE tenant_id = OLD.tenant_id;
    UPDATE memgraph_tenant_users SET refs = refs - 1
     WHERE tenant_number = OLD.tenant_number AND user_id = OLD.subject_id;
    DELETE FROM memgraph_tenant_users
     WHERE tenant_number = OLD.tenant_number AND user_id = OLD.subject_id AND refs <= 0;
    INSERT INTO memgraph_tenant_counts (tenant_id, beliefs, active_beliefs)
        VALUES (NEW.tenant_id, 1, NEW.is_active <> 0)
        ON CONFLICT (tenant_id) DO UPDATE
           SET beliefs = beliefs + 1, active_beliefs = active_beliefs + (NEW.is_active <> 0);
    INSERT INTO memgraph_tenant_users (tenant_number, user_id, refs)
        VALUES (NEW.tenant_number, NEW.subject_id, 1)
        ON CONFLICT (tenant_number, user_id) DO UPDATE SET refs = refs + 1;
END;

CREATE TRIGGER memgraph_beliefs_indexed AFTER INSERT ON memgraph_beliefs
WHEN NEW.search_bag IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memgraph_belief_batches) BEGIN
    INSERT INTO memgraph_search_terms (tenant_number, term, user_id, kind, doc)
        SELECT NEW.tenant_number, key, NEW.subject_id, 'belief', NEW.rowid
          FROM json_each(NEW.search_bag);
    INSERT INTO memgraph_search_tenants (tenant_id, docs, length)
        SELECT NEW.tenant_id, 1, (SELECT total(value) FROM json_each(NEW.search_bag))
         WHERE NEW.epistemic_status IN ('active', 'superseded')
        ON CONFLICT (tenant_id) DO UPDATE
           SET docs = docs + 1, length = length + excluded.length;
    INSERT INTO memgraph_search_users (tenant_number, user_id, docs, length)
        SELECT NEW.tenant_number, NEW.subject_id, 1, (SELECT total(value) FROM json_each(NEW.search_bag))
         WHERE NEW.epistemic_status IN ('active', 'superseded')
        ON CONFLICT (tenant_number, user_id) DO UPDATE
           SET docs = docs + 1, length = length + excluded.length;
END;

CREATE TRIGGER memgraph_beliefs_unindexed AFTER DELETE ON memgraph_beliefs
WHEN OLD.search_bag IS NOT NULL BEGIN
    DELETE FROM memgraph_search_terms
     WHERE tenant_number = OLD.tenant_number AND user_id = OLD.subject_id AND kind = 'belief'
       AND doc = OLD.rowid AND term IN (SELECT key FROM json_each(OLD.search_bag));
    UPDATE memgraph_search_tenants
       SET docs = docs - 1, length = length - (SELECT total(value) FROM json_each(OLD.search_bag))
     WHERE tenant_id = OLD.tenant_id AND OLD.epistemic_status IN ('active', 'superseded');
    UPDATE memgraph_search_users
       SET docs = docs - 1, length = length - (SELECT total(value) FROM json_each(OLD.search_bag))
     WHERE tenant_number = OLD.tenant_number AND user_id = OLD.subject_id
       AND OLD.epistemic_status IN ('active', 'superseded');
END;

CREATE TRIGGER memgraph_beliefs_reindexed
AFTER UPDATE OF search_bag, tenant_id, tenant_number, subject_id ON memgraph_beliefs
WHEN OLD.search_bag IS NOT NEW.search_bag OR OLD.tenant_number <> NEW.tenant_number
  OR OLD.subject_id <> NEW.subject_id BEGIN
    DELETE FROM memgraph_search_terms
     WHERE tenant_number = OLD.tenant_number AND user_id = OLD.subject_id AND kind = 'belief'
       AND doc = OLD.rowid AND term IN (SELECT key FROM json_each(OLD.search_bag));
    INSERT INTO memgraph_search_terms (tenant_number, term, user_id, kind, doc)
        SELECT NEW.tenant_number, key, NEW.subject_id, 'belief', NEW.rowid
          FROM json_each(NEW.search_bag);
END;

-- Superseding a version (active to superseded) changes nothing here, and is skipped.
CREATE TRIGGER memgraph_beliefs_recounted_for_search
AFTER UPDATE OF search_bag, tenant_id, tenant_number, subject_id, epistemic_status
ON memgraph_beliefs
WHEN NOT (OLD.search_bag IS NEW.search_bag AND OLD.tenant_id = NEW.tenant_id
          AND OLD.tenant_number = NEW.tenant_number AND OLD.subject_id = NEW.subject_id
          AND (OLD.epistemic_status IN ('active', 'superseded'))
            = (NEW.epistemic_status IN ('active', 'superseded'))) BEGIN
    UPDATE memgraph_search_tenants
       SET docs = docs - 1, length = length - (SELECT total(value) FROM json_each(OLD.search_bag))
     WHERE tenant_id = OLD.tenant_id AND OLD.search_bag IS NOT NULL
       AND OLD.epistemic_status IN ('active', 'superseded');
    UPDATE memgraph_search_users
       SET docs = docs - 1, length = length - (SELECT total(value) FROM json_each(OLD.search_bag))
     WHERE tenant_number = OLD.tenant_number AND user_id = OLD.subject_id
       AND OLD.search_bag IS NOT NULL AND OLD.epistemic_status IN ('active', 'superseded');
    INSERT INTO memgraph_search_tenants (tenant_id, docs, length)
        SELECT NEW.tenant_id, 1, (SELECT total(value) FROM json_each(NEW.search_bag))
         WHERE NEW.search_bag IS NOT NULL AND NEW.epistemic_status IN ('active', 'superseded')
        ON CONFLICT (tenant_id) DO UPDATE
           SET docs = docs + 1, length = length + excluded.length;
    INSERT INTO memgraph_search_users (tenant_number, user_id, docs, length)
        SELECT NEW.tenant_number, NEW.subject_id, 1, (SELECT total(value) FROM json_each(NEW.search_bag))
         WHERE NEW.search_bag IS NOT NULL AND NEW.epistemic_status IN ('active', 'superseded')
        ON CONFLICT (tenant_number, user_id) DO UPDATE
           SET docs = docs + 1, length = length + excluded.length;
END;

-- A text changed without its bag (the store writes both together): the row is indexed again.
CREATE TRIGGER memgraph_beliefs_rewritten AFTER UPDATE OF key, value ON memgraph_beliefs
WHEN NEW.search_bag IS NOT NULL AND NEW.search_bag IS OLD.search_bag
  AND (OLD.key <> NEW.key OR OLD.value <> NEW.value) BEGIN
    UPDATE memgraph_beliefs SET search_bag = NULL WHERE rowid = NEW.rowid;
END;

-- Memgraph's `/v1/stats` figures, kept by triggers. Counting rows at each call costs time in
-- proportion to a tenant's data (a stats call on 100k beliefs took tens of milliseconds, and
-- SQLite serves one statement at a time per session); a kept count costs one row read.
-- Derived data: a wipe deletes it with the rest, and the triggers rebuild it as rows come back.

CREATE TABLE memgraph_tenant_counts (
    tenant_id        TEXT PRIMARY KEY,
    events           INTEGER NOT NULL DEFAULT 0,
    episodes         INTEGER NOT NULL DEFAULT 0,
    pending_episodes INTEGER NOT NULL DEFAULT 0,
    beliefs          INTEGER NOT NULL DEFAULT 0,
    active_beliefs   INTEGER NOT NULL DEFAULT 0,
    users            INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Every user id an event (`user_id`) or a belief (`subject_id`) of the tenant names, with how
-- many rows name it: `users` above counts these.
CREATE TABLE memgraph_tenant_users (
    tenant_id TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    refs      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
) STRICT, WITHOUT ROWID;

-- What is already stored (a persistent database migrated from an earlier version).
INSERT INTO memgraph_tenant_users (tenant_id, user_id, refs)
SELECT tenant_id, user_id, count(*)
  FROM (SELECT tenant_id, user_id FROM memgraph_events
        UNION ALL SELECT tenant_id, subject_id FROM memgraph_beliefs)
 GROUP BY tenant_id, user_id;

INSERT INTO memgraph_tenant_counts
    (tenant_id, events, episodes, pending_episodes, beliefs, active_beliefs, users)
SELECT t.id,
       (SELECT count(*) FROM memgraph_events WHERE tenant_id = t.id),
       (SELECT count(*) FROM memgraph_episodes WHERE tenant_id = t.id),
       (SELECT count(*) FROM memgraph_episodes
         WHERE tenant_id = t.id AND consolidation_status = 'pending'),
       (SELECT count(*) FROM memgraph_beliefs WHERE tenant_id = t.id),
       (SELECT count(*) FROM memgraph_beliefs WHERE tenant_id = t.id AND is_active),
       (SELECT count(*) FROM memgraph_tenant_users WHERE tenant_id = t.id)
  FROM memgraph_tenants t;

-- Users. A row leaving only ever updates or deletes (never inserts), so a wipe that empties
-- these tables before the data ends with them empty too.
CREATE TRIGGER memgraph_tenant_users_added AFTER INSERT ON memgraph_tenant_users BEGIN
    INSERT INTO memgraph_tenant_counts (tenant_id, users) VALUES (NEW.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET users = users + 1;
END;

CREATE TRIGGER memgraph_tenant_users_removed AFTER DELETE ON memgraph_tenant_users BEGIN
    UPDATE memgraph_tenant_counts SET users = users - 1 WHERE tenant_id = OLD.tenant_id;
END;

-- Events.
CREATE TRIGGER memgraph_events_counted AFTER INSERT ON memgraph_events BEGIN
    INSERT INTO memgraph_tenant_counts (tenant_id, events) VALUES (NEW.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET events = events + 1;
    INSERT INTO memgraph_tenant_users (tenant_id, user_id, refs)
        VALUES (NEW.tenant_id, NEW.user_id, 1)
        ON CONFLICT (tenant_id, user_id) DO UPDATE SET refs = refs + 1;
END;

CREATE TRIGGER memgraph_events_uncounted AFTER DELETE ON memgraph_events BEGIN
    UPDATE memgraph_tenant_counts SET events = events - 1 WHERE tenant_id = OLD.tenant_id;
    UPDATE memgraph_tenant_users SET refs = refs - 1
     WHERE tenant_id = OLD.tenant_id AND user_id = OLD.user_id;
    DELETE FROM memgraph_tenant_users
     WHERE tenant_id = OLD.tenant_id AND user_id = OLD.user_id AND refs <= 0;
END;

CREATE TRIGGER memgraph_events_recounted AFTER UPDATE OF tenant_id, user_id ON memgraph_events
BEGIN
    UPDATE memgraph_tenant_counts SET events = events - 1 WHERE tenant_id = OLD.tenant_id;
    UPDATE memgraph_tenant_users SET refs = refs - 1
     WHERE tenant_id = OLD.tenant_id AND user_id = OLD.user_id;
    DELETE FROM memgraph_tenant_users
     WHERE tenant_id = OLD.tenant_id AND user_id = OLD.user_id AND refs <= 0;
    INSERT INTO memgraph_tenant_counts (tenant_id, events) VALUES (NEW.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET events = events + 1;
    INSERT INTO memgraph_tenant_users (tenant_id, user_id, refs)
        VALUES (NEW.tenant_id, NEW.user_id, 1)
        ON CONFLICT (tenant_id, user_id) DO UPDATE SET refs = refs + 1;
END;

-- Episodes.
CREATE TRIGGER memgraph_episodes_counted AFTER INSERT ON memgraph_episodes BEGIN
    INSERT INTO memgraph_tenant_counts (tenant_id, episodes, pending_episodes)
        VALUES (NEW.tenant_id, 1, NEW.consolidation_status = 'pending')
        ON CONFLICT (tenant_id) DO UPDATE
           SET episodes = episodes + 1,
               pending_episodes = pending_episodes + (NEW.consolidation_status = 'pending');
END;

CREATE TRIGGER memgraph_episodes_uncounted AFTER DELETE ON memgraph_episodes BEGIN
    UPDATE memgraph_tenant_counts
       SET episodes = episodes - 1,
           pending_episodes = pending_episodes - (OLD.consolidation_status = 'pending')
     WHERE tenant_id = OLD.tenant_id;
END;

CREATE TRIGGER memgraph_episodes_recounted
AFTER UPDATE OF tenant_id, consolidation_status ON memgraph_episodes BEGIN
    UPDATE memgraph_tenant_counts
       SET episodes = episodes - 1,
           pending_episodes = pending_episodes - (OLD.consolidation_status = 'pending')
     WHERE tenant_id = OLD.tenant_id;
    INSERT INTO memgraph_tenant_counts (tenant_id, episodes, pending_episodes)
        VALUES (NEW.tenant_id, 1, NEW.consolidation_status = 'pending')
        ON CONFLICT (tenant_id) DO UPDATE
           SET episodes = episodes + 1,
               pending_episodes = pending_episodes + (NEW.consolidation_status = 'pending');
END;

-- Beliefs.
CREATE TRIGGER memgraph_beliefs_counted AFTER INSERT ON memgraph_beliefs BEGIN
    INSERT INTO memgraph_tenant_counts (tenant_id, beliefs, active_beliefs)
        VALUES (NEW.tenant_id, 1, NEW.is_active <> 0)
        ON CONFLICT (tenant_id) DO UPDATE
           SET beliefs = beliefs + 1, active_beliefs = active_beliefs + (NEW.is_active <> 0);
    INSERT INTO memgraph_tenant_users (tenant_id, user_id, refs)
        VALUES (NEW.tenant_id, NEW.subject_id, 1)
        ON CONFLICT (tenant_id, user_id) DO UPDATE SET refs = refs + 1;
END;

CREATE TRIGGER memgraph_beliefs_uncounted AFTER DELETE ON memgraph_beliefs BEGIN
    UPDATE memgraph_tenant_counts
       SET beliefs = beliefs - 1, active_beliefs = active_beliefs - (OLD.is_active <> 0)
     WHERE tenant_id = OLD.tenant_id;
    UPDATE memgraph_tenant_users SET refs = refs - 1
     WHERE tenant_id = OLD.tenant_id AND user_id = OLD.subject_id;
    DELETE FROM memgraph_tenant_users
     WHERE tenant_id = OLD.tenant_id AND user_id = OLD.subject_id AND refs <= 0;
END;

CREATE TRIGGER memgraph_beliefs_recounted
AFTER UPDATE OF tenant_id, subject_id, is_active ON memgraph_beliefs BEGIN
    UPDATE memgraph_tenant_counts
       SET beliefs = beliefs - 1, active_beliefs = active_beliefs - (OLD.is_active <> 0)
     WHERE tenant_id = OLD.tenant_id;
    UPDATE memgraph_tenant_users SET refs = refs - 1
     WHERE tenant_id = OLD.tenant_id AND user_id = OLD.subject_id;
    DELETE FROM memgraph_tenant_users
     WHERE tenant_id = OLD.tenant_id AND user_id = OLD.subject_id AND refs <= 0;
    INSERT INTO memgraph_tenant_counts (tenant_id, beliefs, active_beliefs)
        VALUES (NEW.tenant_id, 1, NEW.is_active <> 0)
        ON CONFLICT (tenant_id) DO UPDATE
           SET beliefs = beliefs + 1, active_beliefs = active_beliefs + (NEW.is_active <> 0);
    INSERT INTO memgraph_tenant_users (tenant_id, user_id, refs)
        VALUES (NEW.tenant_id, NEW.subject_id, 1)
        ON CONFLICT (tenant_id, user_id) DO UPDATE SET refs = refs + 1;
END;

-- Whether any episode is due to move on (`/v1/stats` asks at every call): those not yet
-- consolidated, by end time.
CREATE INDEX memgraph_episodes_unconsolidated ON memgraph_episodes (tenant_id, end_time)
    WHERE consolidation_status <> 'consolidated';

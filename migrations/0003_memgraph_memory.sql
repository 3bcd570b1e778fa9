-- Memgraph memory API (events, episodes, beliefs): what 0002's tables need on top.

-- At most one active version of a belief per subject and key: the supersede rule relies on it.
CREATE UNIQUE INDEX memgraph_beliefs_active ON memgraph_beliefs (tenant_id, subject_id, key)
    WHERE is_active = 1;
CREATE INDEX memgraph_beliefs_created ON memgraph_beliefs (tenant_id, created_at, id);

-- Events are grouped per tenant, user and thread; episodes are listed newest first.
CREATE INDEX memgraph_events_episode ON memgraph_events (episode_id);
CREATE INDEX memgraph_episodes_open ON memgraph_episodes (tenant_id, user_id, thread_id, end_time);

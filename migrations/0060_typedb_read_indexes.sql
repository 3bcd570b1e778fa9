-- TypeDB's request paths read only what they return (src/typedb/store.rs). Every request first
-- settles the transitions whose time is up: by status, then the time it began, so that step
-- reads only the clusters that move. A space's list comes in creation order straight from its
-- index, with no sort. Lookups by id use the primary key; the free-cluster count per team uses
-- typedb_clusters_team.

CREATE INDEX typedb_clusters_status ON typedb_clusters (status, status_since_ms);
CREATE INDEX typedb_clusters_space ON typedb_clusters (team_id, space_id, created_at_ms, id);

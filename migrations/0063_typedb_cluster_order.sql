-- A space's clusters are listed in the order they were made. Two made in the same millisecond
-- were ordered by id, so renaming one could move it ahead of the other; the tie now goes to the
-- row made first (its rowid, which a rename keeps). The index's key ends with the rowid, so the
-- list still comes straight from it, with no sort.

DROP INDEX typedb_clusters_space;
CREATE INDEX typedb_clusters_space ON typedb_clusters (team_id, space_id, created_at_ms);

-- Memgraph: a batch of beliefs (`POST /v1/beliefs/batch`) keeps its derived figures itself.
--
-- A belief's insert triggers (the stats counts of 0007, the search index of 0042) run five
-- statements per row, three of them reading the row's bag again: for a batch of 100 beliefs,
-- most of what writing it costs. While a transaction holds the row of `memgraph_belief_batches`
-- they stand aside, and the store writes what they would have (the postings, the counts, the
-- collections' sizes) for the whole batch in a few statements of the same transaction
-- (`store/memory.rs`, `insert_beliefs`). Every other write of a belief (import, fixtures, a
-- state document loaded back, a row written by hand) still goes through the triggers. The
-- table is empty outside such a transaction, so a snapshot or a wipe never sees a row of it.
CREATE TABLE memgraph_belief_batches (
    id INTEGER PRIMARY KEY CHECK (id = 1)
) STRICT;

DROP TRIGGER memgraph_beliefs_counted;
CREATE TRIGGER memgraph_beliefs_counted AFTER INSERT ON memgraph_beliefs
WHEN NOT EXISTS (SELECT 1 FROM memgraph_belief_batches) BEGIN
    INSERT INTO memgraph_tenant_counts (tenant_id, beliefs, active_beliefs)
        VALUES (NEW.tenant_id, 1, NEW.is_active <> 0)
        ON CONFLICT (tenant_id) DO UPDATE
           SET beliefs = beliefs + 1, active_beliefs = active_beliefs + (NEW.is_active <> 0);
    INSERT INTO memgraph_tenant_users (tenant_id, user_id, refs)
        VALUES (NEW.tenant_id, NEW.subject_id, 1)
        ON CONFLICT (tenant_id, user_id) DO UPDATE SET refs = refs + 1;
END;

DROP TRIGGER memgraph_beliefs_indexed;
CREATE TRIGGER memgraph_beliefs_indexed AFTER INSERT ON memgraph_beliefs
WHEN NEW.search_bag IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memgraph_belief_batches) BEGIN
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

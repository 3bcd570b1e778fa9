-- Memgraph: the belief lists break a tie of `created_at` by the rowid rather than the id.
--
-- Eight belief indexes ended in `created_at, id`: 36 characters of id in six keys that every
-- belief writes, which the rowid ending every index already orders (a belief's rowid is given
-- when it is made, in the order made, and a state document keeps that order: src/snapshot.rs
-- writes and loads rows in rowid order; migration 0063 did the same for TypeDB's clusters).
-- Without them, 100,000 beliefs loaded by batches take 128 MiB of memory rather than 150, and
-- each a few percent fewer instructions. Beliefs made in the same millisecond (a batch) list in
-- the order they were made, as their UUIDv7 ids sorted them. The lists still come straight from
-- the indexes, with no sort (the plan test in src/memgraph/store.rs checks it).

DROP INDEX memgraph_beliefs_created;
CREATE INDEX memgraph_beliefs_created ON memgraph_beliefs (tenant_number, created_at);
DROP INDEX memgraph_beliefs_reminders;
CREATE INDEX memgraph_beliefs_reminders ON memgraph_beliefs (tenant_number, subject_id, created_at)
    WHERE is_active = 1 AND domain = 'prospective';
DROP INDEX memgraph_beliefs_active_created;
CREATE INDEX memgraph_beliefs_active_created ON memgraph_beliefs (tenant_number, created_at)
    WHERE is_active = 1;
DROP INDEX memgraph_beliefs_subject_created;
CREATE INDEX memgraph_beliefs_subject_created
    ON memgraph_beliefs (tenant_number, subject_id, created_at);
DROP INDEX memgraph_beliefs_domain_created;
CREATE INDEX memgraph_beliefs_domain_created ON memgraph_beliefs (tenant_number, domain, created_at);
DROP INDEX memgraph_beliefs_type_created;
CREATE INDEX memgraph_beliefs_type_created
    ON memgraph_beliefs (tenant_number, belief_type, created_at);
DROP INDEX memgraph_beliefs_profile;
CREATE INDEX memgraph_beliefs_profile
    ON memgraph_beliefs (tenant_number, belief_type, subject_id, created_at) WHERE is_active = 1;
DROP INDEX memgraph_beliefs_superseded;
CREATE INDEX memgraph_beliefs_superseded ON memgraph_beliefs (tenant_number, created_at)
    WHERE epistemic_status = 'superseded';

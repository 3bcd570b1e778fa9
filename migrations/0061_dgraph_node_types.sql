-- Dgraph: a backend's objects of one type, a page at a time, for its generated GraphQL API
-- (src/dgraph/store/backend.rs, NODES_OF_TYPE, which writes these expressions the same way): the
-- objects typed by a string, and those typed by a list, each in creation order.

CREATE INDEX dgraph_nodes_type ON dgraph_nodes (
    deployment_uid,
    (CASE WHEN json_valid(body) THEN json_extract(body, '$."dgraph.type"') END),
    id
);
CREATE INDEX dgraph_nodes_type_kind ON dgraph_nodes (
    deployment_uid,
    (CASE WHEN json_valid(body) THEN json_type(body, '$."dgraph.type"') END),
    id
);

-- Dgraph: the indexes its request-path statements need (src/dgraph/store, REQUEST_PATH), so that
-- none reads a whole table: the deployments an account sees through its organizations, the
-- organizations of an account, an account's refresh tokens, the first account (device login), and
-- the rows a deleted deployment takes with it (its keys, exports and restores: without an index
-- on the foreign key, each delete read those tables whole).

CREATE INDEX dgraph_deployments_organization ON dgraph_deployments (organization_uid);
CREATE INDEX dgraph_organization_members_account ON dgraph_organization_members (account_id);
CREATE INDEX dgraph_cli_codes_account ON dgraph_cli_codes (account_id);
CREATE INDEX dgraph_accounts_created ON dgraph_accounts (created_at);
CREATE INDEX dgraph_api_keys_deployment ON dgraph_api_keys (deployment_uid);
CREATE INDEX dgraph_exports_deployment ON dgraph_exports (deployment_uid);
CREATE INDEX dgraph_restores_deployment ON dgraph_restores (deployment_uid);

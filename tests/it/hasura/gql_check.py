"""The documented Hasura Cloud API operations, verbatim, through the real Python `gql` client.

Run by tests/it/hasura/gql_client.rs with: gql_check.py <graphql url> <pat>. The documented
placeholder ids and hash are replaced by the real ones the earlier operations returned. Prints
one JSON line of results; any failed expectation raises, so the exit status is non-zero.
"""

import json
import sys

from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.requests import RequestsHTTPTransport

URL, PAT = sys.argv[1], sys.argv[2]
PLACEHOLDER_ID = "7a79cf94-0e53-4520-a560-1b02bf522f08"
PLACEHOLDER_HASH = "6902a395d70072fbf8d36288f0eacc36c9d82e68"


def client(pat, fetch_schema=False):
    headers = {"Authorization": f"pat {pat}"} if pat else {}
    transport = RequestsHTTPTransport(url=URL, headers=headers, retries=0)
    return Client(transport=transport, fetch_schema_from_transport=fetch_schema)


def with_id(document, value, placeholder=PLACEHOLDER_ID):
    assert placeholder in document
    return document.replace(placeholder, value)


CREATE_PROJECT = """mutation createProject {
createTenant(
cloud: "aws"
region: "us-east-2"
envs: [{
key: "HASURA_GRAPHQL_CORS_DOMAIN",
value: "*"
}, {
key: "MY_ENV_VAR_1",
value: "my value 1"
}]
) {
id
name
}
}"""

GET_PROJECT_TENANT_ID = """query getProjectTenantId {
projects_by_pk(
id: "7a79cf94-0e53-4520-a560-1b02bf522f08"
) {
id
tenant {
id
}
}
}"""

GET_TENANT_DETAILS = """query getTenantDetails {
tenant_by_pk(
id: "7a79cf94-0e53-4520-a560-1b02bf522f08"
) {
id
slug
project {
id
endpoint
}
}
}"""

DELETE_TENANT = """mutation deleteTenant {
deleteTenant(
tenantId: "7a79cf94-0e53-4520-a560-1b02bf522f08"
) {
status
}
}"""

GET_ENV = """query getTenantENV {
getTenantEnv(
tenantId: "7a79cf94-0e53-4520-a560-1b02bf522f08"
) {
hash
envVars
}
}"""

UPDATE_ENV = """mutation updateTenantEnv {
updateTenantEnv(
tenantId: "7a79cf94-0e53-4520-a560-1b02bf522f08"
currentHash: "6902a395d70072fbf8d36288f0eacc36c9d82e68"
envs: [
{key: "HASURA_GRAPHQL_ENABLE_CONSOLE", value: "true"},
{key: "ACTIONS_ENDPOINT", value: "https://my-actions-endpoint.com/actions"}
]
) {
hash
envVars
}
}"""

CREATE_PREVIEW_APP = """mutation createGitHubPreviewApp {
createGitHubPreviewApp (
payload: {
githubPersonalAccessToken: "<github_access_token>",
githubRepoDetails: {
branch: "main"
owner: "my-org"
repo: "my-repo",
directory: "backend/hasura"
},
projectOptions: {
cloud: "aws",
region: "us-east-2",
plan: "cloud_free",
name: "my-app_name"
envVars: [{
key: "HASURA_GRAPHQL_AUTH_HOOK",
value: "https://my-webhook.com"
}, {
key: "MY_ENV_VAR_1",
value: "my value 1"
}]
}
}
) {
githubPreviewAppJobID # job ID of the preview app creation job
}
}"""

PREVIEW_APP_STATUS = """query getPreviewAppCreationStatus($jobId: uuid!) {
  jobs_by_pk(id: $jobId) {
    id
    status
    tasks { id name task_events { id event_type public_event_data error } }
  }
}"""


def main():
    c = client(PAT)
    out = {}

    created = c.execute(gql(CREATE_PROJECT))["createTenant"]
    tenant_id, name = created["id"], created["name"]
    out["createTenant"] = created

    details = c.execute(gql(with_id(GET_TENANT_DETAILS, tenant_id)))["tenant_by_pk"]
    assert details["id"] == tenant_id and details["slug"] == name, details
    assert details["project"]["endpoint"] == f"https://{name}.hasura.app/v1/graphql", details
    project_id = details["project"]["id"]
    out["tenant_by_pk"] = details

    by_pk = c.execute(gql(with_id(GET_PROJECT_TENANT_ID, project_id)))["projects_by_pk"]
    assert by_pk == {"id": project_id, "tenant": {"id": tenant_id}}, by_pk
    out["projects_by_pk"] = by_pk

    env = c.execute(gql(with_id(GET_ENV, tenant_id)))["getTenantEnv"]
    assert env["envVars"]["environment"]["MY_ENV_VAR_1"] == "my value 1", env
    assert len(env["hash"]) == 40, env

    document = with_id(with_id(UPDATE_ENV, tenant_id), env["hash"], PLACEHOLDER_HASH)
    updated = c.execute(gql(document))["updateTenantEnv"]
    vars_ = updated["envVars"]["environment"]
    assert vars_["HASURA_GRAPHQL_ENABLE_CONSOLE"] == "true", updated
    assert vars_["ACTIONS_ENDPOINT"] == "https://my-actions-endpoint.com/actions", updated
    assert vars_["HASURA_GRAPHQL_CORS_DOMAIN"] == "*", updated
    assert updated["hash"] != env["hash"], updated
    out["updateTenantEnv"] = updated["hash"]

    # The same document again carries a stale hash now: the compare-and-swap refuses it.
    try:
        c.execute(gql(document))
        raise AssertionError("a stale hash was accepted")
    except TransportQueryError as e:
        assert e.errors[0]["extensions"]["code"] == "unexpected", e.errors
        out["staleHash"] = e.errors[0]["message"]

    job = c.execute(gql(CREATE_PREVIEW_APP))["createGitHubPreviewApp"]["githubPreviewAppJobID"]
    status = c.execute(gql(PREVIEW_APP_STATUS), variable_values={"jobId": job})["jobs_by_pk"]
    assert status["id"] == job, status
    assert status["status"] in ("created", "running", "success"), status
    out["jobs_by_pk"] = status

    deleted = c.execute(gql(with_id(DELETE_TENANT, tenant_id)))["deleteTenant"]
    assert deleted["status"], deleted
    gone = c.execute(gql(with_id(GET_TENANT_DETAILS, tenant_id)))["tenant_by_pk"]
    assert gone is None, gone
    out["deleteTenant"] = deleted

    # A client that fetches the schema by introspection validates every documented operation
    # locally before sending it.
    checked = client(PAT, fetch_schema=True)
    with checked as session:
        for document in (CREATE_PROJECT, GET_PROJECT_TENANT_ID, GET_TENANT_DETAILS, DELETE_TENANT,
                         GET_ENV, UPDATE_ENV, CREATE_PREVIEW_APP, PREVIEW_APP_STATUS):
            checked.validate(gql(document))
        try:
            checked.validate(gql("query { projects { nope } }"))
            raise AssertionError("an unknown field passed schema validation")
        except Exception as e:  # graphql-core's GraphQLError
            assert "nope" in str(e), e
        names = session.execute(gql("{ __schema { queryType { name } } }"))
        out["schemaQueryType"] = names["__schema"]["queryType"]["name"]

    # Without a PAT: the anonymous role's validation error.
    try:
        client(None).execute(gql("query { projects { id } }"))
        raise AssertionError("anonymous access was allowed")
    except TransportQueryError as e:
        out["anonymous"] = e.errors

    print(json.dumps(out))


if __name__ == "__main__":
    main()

//! Collaborators: invitations by email, accepting gives access with the invited privileges,
//! the owner removes them (spec §6.12); custom domains (spec §6.14).

use serde_json::json;

use super::client::{data, error, hasura_error, project, user};
use crate::support::{TestServer, str_of};

const INVITE: &str = "mutation($invite: InviteColloboratorRequest!) { inviteCollaborator(invite: $invite) { id collaborator_email invited_by key privileges project_id } }";

#[tokio::test]
async fn invited_collaborator_sees_the_project_until_removed() {
    let s = TestServer::start().await;
    let ada = user(&s, "ada@example.com").await;
    let bob = user(&s, "bob@example.com").await;
    let eve = user(&s, "eve@example.com").await;
    let (tenant, project_id) = project(&s, &ada, "shared").await;
    let ada_id = data(&s, &ada, "{ users { id } }", json!({})).await["users"][0]["id"].clone();

    // Only the project's admins invite.
    let e = error(
        &s,
        Some(&bob),
        INVITE,
        json!({"invite": {"collaborator_email": "bob@example.com", "privileges": ["admin"], "project_id": project_id}}),
    )
    .await;
    assert_eq!(e, hasura_error("project not found", "$", "unexpected"));

    let invited = data(
        &s,
        &ada,
        INVITE,
        json!({"invite": {"collaborator_email": "Bob@Example.com", "privileges": ["graphql_admin", "view_metrics"], "project_id": project_id}}),
    )
    .await;
    let inv = &invited["inviteCollaborator"];
    assert_eq!(inv["invited_by"], ada_id);
    assert_eq!(inv["privileges"], json!(["graphql_admin", "view_metrics"]));
    let key = str_of(&inv["key"]);

    // Before accepting, Bob sees nothing; Eve cannot use Bob's key.
    assert_eq!(
        data(&s, &bob, "{ projects { id } }", json!({})).await,
        json!({"projects": []})
    );
    let accept = "mutation($k: String!) { acceptInvite(inviteKey: $k) { id project_id } }";
    let e = error(&s, Some(&eve), accept, json!({"k": key})).await;
    assert_eq!(e, hasura_error("invitation not found", "$", "unexpected"));
    let accepted = data(&s, &bob, accept, json!({"k": key})).await;
    assert_eq!(accepted["acceptInvite"]["project_id"], project_id.as_str());
    // A key works once.
    let e = error(&s, Some(&bob), accept, json!({"k": key})).await;
    assert_eq!(e, hasura_error("invitation not found", "$", "unexpected"));

    // The console's getLuxProjectInfo, as Bob.
    let info = data(
        &s,
        &bob,
        "query getLuxProjectInfo($id: uuid!) { users { id email } projects_by_pk(id: $id) { id owner { id email } name collaborators { collaborator { id email } id project_collaborator_privileges { privilege_slug } } tenant { region_info { metrics_fqdn } } plan_name } }",
        json!({"id": project_id}),
    )
    .await;
    let p = &info["projects_by_pk"];
    assert_eq!(
        p["owner"],
        json!({"id": ada_id, "email": "ada@example.com"})
    );
    assert_eq!(p["name"], "shared");
    assert_eq!(p["plan_name"], "cloud_free");
    assert_eq!(
        p["tenant"]["region_info"]["metrics_fqdn"],
        "us-east-2-aws.metrics.pro.hasura.io"
    );
    let collaborators = p["collaborators"].as_array().unwrap();
    assert_eq!(collaborators.len(), 1);
    assert_eq!(collaborators[0]["collaborator"], info["users"][0]);
    assert_eq!(
        collaborators[0]["project_collaborator_privileges"],
        json!([{"privilege_slug": "graphql_admin"}, {"privilege_slug": "view_metrics"}])
    );

    // Without `admin`, Bob reads but may not change or delete.
    let env = data(
        &s,
        &bob,
        "query($t: uuid!) { getTenantEnv(tenantId: $t) { hash } }",
        json!({"t": tenant}),
    )
    .await;
    let hash = str_of(&env["getTenantEnv"]["hash"]);
    let not_allowed = hasura_error(
        "you do not have the privilege to perform this operation on the project",
        "$",
        "unexpected",
    );
    let e = error(
        &s,
        Some(&bob),
        "mutation($t: uuid!, $h: String!) { updateTenantEnv(tenantId: $t, currentHash: $h, envs: [{key: \"A\", value: \"1\"}]) { hash } }",
        json!({"t": tenant, "h": hash}),
    )
    .await;
    assert_eq!(e, not_allowed);
    let e = error(
        &s,
        Some(&bob),
        "mutation($t: uuid!) { deleteTenant(tenantId: $t) { status } }",
        json!({"t": tenant}),
    )
    .await;
    assert_eq!(e, not_allowed);

    // The owner removes Bob; Bob cannot remove himself through the table.
    let collaborator_id = str_of(&collaborators[0]["id"]);
    let remove = "mutation($id: uuid!) { delete_project_collaborators_by_pk(id: $id) { id } }";
    let none = data(&s, &bob, remove, json!({"id": collaborator_id})).await;
    assert_eq!(none, json!({"delete_project_collaborators_by_pk": null}));
    let removed = data(&s, &ada, remove, json!({"id": collaborator_id})).await;
    assert_eq!(
        removed,
        json!({"delete_project_collaborators_by_pk": {"id": collaborator_id}})
    );
    assert_eq!(
        data(&s, &bob, "{ projects { id } }", json!({})).await,
        json!({"projects": []})
    );
    s.stop().await;
}

#[tokio::test]
async fn declined_invitations_give_nothing() {
    let s = TestServer::start().await;
    let ada = user(&s, "ada@example.com").await;
    let bob = user(&s, "bob@example.com").await;
    let (_, project_id) = project(&s, &ada, "private").await;
    let e = error(
        &s,
        Some(&ada),
        INVITE,
        json!({"invite": {"collaborator_email": "bob@example.com", "privileges": ["root"], "project_id": project_id}}),
    )
    .await;
    assert_eq!(
        e,
        hasura_error("invalid privilege \"root\"", "$", "unexpected")
    );
    let invited = data(
        &s,
        &ada,
        INVITE,
        json!({"invite": {"collaborator_email": "bob@example.com", "privileges": ["admin"], "project_id": project_id}}),
    )
    .await;
    let key = str_of(&invited["inviteCollaborator"]["key"]);
    data(
        &s,
        &bob,
        "mutation($k: String!) { declineInvite(inviteKey: $k) { id } }",
        json!({"k": key}),
    )
    .await;
    let e = error(
        &s,
        Some(&bob),
        "mutation($k: String!) { acceptInvite(inviteKey: $k) { id } }",
        json!({"k": key}),
    )
    .await;
    assert_eq!(e, hasura_error("invitation not found", "$", "unexpected"));
    assert_eq!(
        data(&s, &bob, "{ projects { id } }", json!({})).await,
        json!({"projects": []})
    );
    s.stop().await;
}

#[tokio::test]
async fn custom_domains_tf_cloud_documents() {
    let s = TestServer::start().await;
    let ada = user(&s, "ada@example.com").await;
    let bob = user(&s, "bob@example.com").await;
    let (tenant, _) = project(&s, &ada, "domains").await;
    let create = "mutation createCustomDomain($tenantId: uuid!, $fqdn: String!) { insert_custom_domain_one(object: {fqdn: $fqdn, tenant_id: $tenantId}) { id created_at dns_validation fqdn cert __typename } }";
    let made = data(
        &s,
        &ada,
        create,
        json!({"tenantId": tenant, "fqdn": "api.example.com"}),
    )
    .await;
    let d = &made["insert_custom_domain_one"];
    assert_eq!(d["fqdn"], "api.example.com");
    assert_eq!(d["__typename"], "custom_domain");
    assert_eq!(d["cert"], "letsencrypt");
    let id = str_of(&d["id"]);
    let read = data(
        &s,
        &ada,
        "query getCustomDomain($id: uuid!) { custom_domain_by_pk(id: $id) { fqdn } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(
        read,
        json!({"custom_domain_by_pk": {"fqdn": "api.example.com"}})
    );
    let listed = data(
        &s,
        &ada,
        "query($tenant_id: uuid!) { tenant_by_pk(id: $tenant_id) { custom_domains { id fqdn } } }",
        json!({"tenant_id": tenant}),
    )
    .await;
    assert_eq!(
        listed,
        json!({"tenant_by_pk": {"custom_domains": [{"id": id, "fqdn": "api.example.com"}]}})
    );

    let e = error(
        &s,
        Some(&ada),
        create,
        json!({"tenantId": tenant, "fqdn": "api.example.com"}),
    )
    .await;
    assert_eq!(
        e,
        hasura_error(
            "Uniqueness violation. duplicate key value violates unique constraint \"custom_domain_fqdn_key\"",
            "$.selectionSet.insert_custom_domain_one.args.object",
            "constraint-violation"
        )
    );
    let e = error(
        &s,
        Some(&bob),
        create,
        json!({"tenantId": tenant, "fqdn": "evil.example.com"}),
    )
    .await;
    assert_eq!(
        e,
        hasura_error(
            "check constraint of an insert/update permission has failed",
            "$.selectionSet.insert_custom_domain_one.args.object",
            "permission-error"
        )
    );
    let none = data(
        &s,
        &bob,
        "mutation($id: uuid!) { delete_custom_domain_by_pk(id: $id) { id } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(none, json!({"delete_custom_domain_by_pk": null}));
    let deleted = data(
        &s,
        &ada,
        "mutation($id: uuid!) { delete_custom_domain_by_pk(id: $id) { id fqdn } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(
        deleted,
        json!({"delete_custom_domain_by_pk": {"id": id, "fqdn": "api.example.com"}})
    );
    let gone = data(
        &s,
        &ada,
        "query($id: uuid!) { custom_domain_by_pk(id: $id) { fqdn } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(gone, json!({"custom_domain_by_pk": null}));
    s.stop().await;
}

#[tokio::test]
async fn ownership_transfer_moves_the_project() {
    let s = TestServer::start().await;
    let ada = user(&s, "ada@example.com").await;
    let bob = user(&s, "bob@example.com").await;
    let (tenant, project_id) = project(&s, &ada, "handover").await;
    let bob_id = data(&s, &bob, "{ users { id } }", json!({})).await["users"][0]["id"].clone();
    let invite = "mutation($input: TransferOwnershipRequest!) { transferOwnershipInvite(input: $input) { id invitee_email key project_id } }";
    // Only the owner can offer the project.
    let e = error(
        &s,
        Some(&bob),
        invite,
        json!({"input": {"invitee_email": "bob@example.com", "project_id": project_id}}),
    )
    .await;
    assert_eq!(e, hasura_error("project not found", "$", "unexpected"));
    let offered = data(
        &s,
        &ada,
        invite,
        json!({"input": {"invitee_email": "bob@example.com", "project_id": project_id}}),
    )
    .await;
    let key = str_of(&offered["transferOwnershipInvite"]["key"]);
    // A transfer key is not a collaborator key.
    let e = error(
        &s,
        Some(&bob),
        "mutation($k: String!) { acceptInvite(inviteKey: $k) { id } }",
        json!({"k": key}),
    )
    .await;
    assert_eq!(e, hasura_error("invitation not found", "$", "unexpected"));
    let accepted = data(
        &s,
        &bob,
        "mutation($k: String!) { acceptTransferOwnershipInvite(inviteKey: $k) { project_id } }",
        json!({"k": key}),
    )
    .await;
    assert_eq!(
        accepted["acceptTransferOwnershipInvite"]["project_id"],
        project_id.as_str()
    );
    let owner = data(
        &s,
        &bob,
        "query($p: uuid!) { projects_by_pk(id: $p) { owner_id } }",
        json!({"p": project_id}),
    )
    .await;
    assert_eq!(owner["projects_by_pk"]["owner_id"], bob_id);
    // Bob may now delete it; Ada, an admin collaborator now, may not.
    let delete = "mutation($t: uuid!) { deleteTenant(tenantId: $t) { status } }";
    let e = error(&s, Some(&ada), delete, json!({"t": tenant})).await;
    assert_eq!(
        e["message"],
        "you do not have the privilege to perform this operation on the project"
    );
    data(&s, &bob, delete, json!({"t": tenant})).await;
    s.stop().await;
}

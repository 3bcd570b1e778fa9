//! A backend's data plane: auth headers, /admin, /admin/slash, readiness, routing (spec §3, §5-§7).

use std::io::Read;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;

async fn api_key(s: &TestServer, token: &str, d: &Value, role: &str) -> String {
    let (status, body) = send(
        s.http
            .post(dg(
                s,
                &format!("/deployments/{}/api-keys", str_of(&d["uid"])),
            ))
            .bearer_auth(token)
            .json(&json!({"name": "k", "role": role})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    str_of(&body["key"])
}

#[tokio::test]
async fn a_backend_answers_options_only_once_its_creation_time_has_passed() {
    let s = start().await;
    let token = account(&s, "r@example.com").await;
    let (_, body) = cerebro(
        &s,
        Some(&token),
        "mutation($d: NewDeployment!) { createDeployment(input: $d) { url jwtToken } }",
        json!({"d": {"name": "slow"}}),
    )
    .await;
    let d = body["data"]["createDeployment"].clone();
    let probe = || {
        s.http
            .request(reqwest::Method::OPTIONS, backend_url(&d, "/graphql"))
    };
    let (status, body) = send(probe()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body,
        json!({"errors": [{"message": "backend is being created: not ready yet"}]})
    );
    s.advance("default", Duration::from_secs(29)).await;
    assert_eq!(send(probe()).await.0, StatusCode::SERVICE_UNAVAILABLE);
    s.advance("default", Duration::from_secs(2)).await;
    assert_eq!(send(probe()).await.0, StatusCode::OK);
}

#[tokio::test]
async fn schemas_are_stored_validated_and_read_back() {
    let s = start().await;
    let token = account(&s, "s@example.com").await;
    let d = deployment(&s, &token, "schema", "free").await;
    let (_, body) = admin(&s, &d, GET_SCHEMA, json!({})).await;
    assert_eq!(body, json!({"data": {"getGQLSchema": null}}));

    let schema = "type Person { name: String! }";
    let (status, body) = admin(&s, &d, UPDATE_SCHEMA, json!({"sch": schema})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"data": {"updateGQLSchema": {"gqlSchema": {"schema": schema}}}})
    );
    let (_, body) = admin(&s, &d, GET_SCHEMA, json!({})).await;
    assert_eq!(body["data"]["getGQLSchema"]["schema"], schema);
    assert!(
        body["data"]["getGQLSchema"]["generatedSchema"]
            .as_str()
            .unwrap()
            .contains(schema)
    );

    // Variables bound whatever the client names them.
    let (_, body) = admin(
        &s,
        &d,
        "mutation($schema: String!) { updateGQLSchema(input: { set: { schema: $schema } }) { gqlSchema { schema } } }",
        json!({"schema": "type Dog { name: String }"}),
    )
    .await;
    assert_eq!(
        body["data"]["updateGQLSchema"]["gqlSchema"]["schema"],
        "type Dog { name: String }"
    );

    // An invalid schema: Dgraph's error, the stored schema untouched.
    let (status, body) = admin(
        &s,
        &d,
        UPDATE_SCHEMA,
        json!({"sch": "type Person {\n  pet: Pet\n}"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], json!({"updateGQLSchema": null}));
    assert_eq!(
        body["errors"][0]["message"],
        "resolving updateGQLSchema failed because input:2: Type Pet not defined"
    );
    assert!(body["errors"][0]["locations"].is_array());
    let (_, body) = admin(&s, &d, UPDATE_SCHEMA, json!({"sch": "type {"})).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("resolving updateGQLSchema failed because input:1: ")
    );
    let (_, body) = admin(&s, &d, "{ getGQLSchema { schema } }", json!({})).await;
    assert_eq!(
        body,
        json!({"data": {"getGQLSchema": {"schema": "type Dog { name: String }"}}})
    );
}

#[tokio::test]
async fn every_auth_header_form_is_accepted_and_the_admin_client_rule_holds() {
    let s = start().await;
    let token = account(&s, "h@example.com").await;
    let d = deployment(&s, &token, "headers", "free").await;
    let jwt = str_of(&d["jwtToken"]);
    let admin_key = api_key(&s, &token, &d, "admin").await;
    let client_key = api_key(&s, &token, &d, "client").await;
    let q = "{ getGQLSchema { schema } }";
    let url = || backend_url(&d, "/admin");
    for (header, value) in [
        ("X-Auth-Token", jwt.clone()),
        ("Dg-Auth", jwt.clone()),
        ("DG-AUTH", admin_key.clone()),
        ("Authorization", jwt.clone()),
        ("Authorization", format!("Bearer {admin_key}")),
        ("X-Auth-Token", admin_key.clone()),
    ] {
        let (status, body) = data(&s, url(), header, &value, q, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{header}: {body}");
        assert_eq!(body, json!({"data": {"getGQLSchema": null}}));
    }
    // A client key opens /query but not /admin or /admin/slash.
    let (status, body) = data(&s, url(), "Dg-Auth", &client_key, q, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"errors": [{"message": "this endpoint needs an admin API key or the backend's JWT"}]})
    );
    let (status, _) = data(
        &s,
        backend_url(&d, "/admin/slash"),
        "Dg-Auth",
        &client_key,
        "mutation { dropData(allData: true) { response { code } } }",
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = data(
        &s,
        backend_url(&d, "/query"),
        "Dg-Auth",
        &client_key,
        "schema { __typename }",
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Nothing, garbage, or another backend's token.
    let (status, body) = send(s.http.post(url()).json(&json!({"query": q}))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("no credentials")
    );
    let (status, body) = data(&s, url(), "X-Auth-Token", "garbage", q, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"errors": [{"message": "invalid credentials for this backend"}]})
    );
    let other = deployment(&s, &token, "other", "free").await;
    let (status, _) = data(
        &s,
        url(),
        "X-Auth-Token",
        &str_of(&other["jwtToken"]),
        q,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn mutate(s: &TestServer, d: &Value, set: Value) {
    let (status, body) = send(
        s.http
            .post(backend_url(d, "/mutate?commitNow=true"))
            .header("X-Auth-Token", str_of(&d["jwtToken"]))
            .json(&json!({"set": set})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn export_json(s: &TestServer, d: &Value) -> Value {
    let (_, body) = slash(
        s,
        d,
        "\nmutation {\n  export {\n    signedUrls\n  }\n}",
        json!({}),
    )
    .await;
    let urls = body["data"]["export"]["signedUrls"]
        .as_array()
        .unwrap()
        .clone();
    let url = urls
        .iter()
        .map(str_of)
        .find(|u| u.ends_with("/g01.json.gz"))
        .unwrap();
    let bytes = s.http.get(url).send().await.unwrap().bytes().await.unwrap();
    serde_json::from_str(&gunzip(&bytes)).unwrap()
}

fn gunzip(bytes: &[u8]) -> String {
    // Python's gzip module reads the file: proof that it is a real gzip file.
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            "import gzip,sys; sys.stdout.write(gzip.decompress(sys.stdin.buffer.read()).decode())",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(child.wait().unwrap().success(), "not a gzip file");
    out
}

#[tokio::test]
async fn drop_data_has_four_forms() {
    let s = start().await;
    let token = account(&s, "drop@example.com").await;
    let d = deployment(&s, &token, "drop", "free").await;
    admin(
        &s,
        &d,
        UPDATE_SCHEMA,
        json!({"sch": "type Person { name: String age: Int } type Old { x: String }"}),
    )
    .await;
    mutate(
        &s,
        &d,
        json!([
            {"dgraph.type": "Person", "Person.name": "Ann", "Person.age": 3},
            {"dgraph.type": "Old", "Old.x": "gone"},
        ]),
    )
    .await;
    assert_eq!(export_json(&s, &d).await.as_array().unwrap().len(), 2);

    let done = json!({"response": {"code": "Success", "message": "Done"}});
    let (_, body) = slash(&s, &d, "\nmutation($types: [String!]) {\n  dropData(types: $types) {\n    response { code message }\n  }\n}\n", json!({"types": ["Old"]})).await;
    assert_eq!(body, json!({"data": {"dropData": done}}));
    let (_, body) = slash(&s, &d, "\nmutation($fields: [String!]) {\n  dropData(fields: $fields) {\n    response { code message }\n  }\n}\n", json!({"fields": ["Person.age"]})).await;
    assert_eq!(body, json!({"data": {"dropData": done}}));
    let left = export_json(&s, &d).await;
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["Person.name"], "Ann");
    assert!(left[0].get("Person.age").is_none());

    // allData keeps the schema; sent as application/graphql, as the docs do.
    let (status, body) = send(
        s.http
            .post(backend_url(&d, "/admin/slash"))
            .header("Dg-Auth", str_of(&d["jwtToken"]))
            .header("Content-Type", "application/graphql")
            .body("mutation { dropData(allData: true) { response { code message } } }"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"data": {"dropData": done}}));
    assert_eq!(export_json(&s, &d).await, json!([]));
    let (_, body) = admin(&s, &d, "{ getGQLSchema { schema } }", json!({})).await;
    assert!(body["data"]["getGQLSchema"]["schema"].is_string());

    let (_, body) = slash(
        &s,
        &d,
        "\nmutation {\n  dropData(allDataAndSchema: true) {\n    response { code message }\n  }\n}",
        json!({}),
    )
    .await;
    assert_eq!(body, json!({"data": {"dropData": done}}));
    let (_, body) = admin(&s, &d, "{ getGQLSchema { schema } }", json!({})).await;
    assert_eq!(body, json!({"data": {"getGQLSchema": null}}));
}

#[tokio::test]
async fn exports_download_gzip_files_holding_schema_and_data() {
    let s = start().await;
    let token = account(&s, "exp@example.com").await;
    let d = deployment(&s, &token, "exp", "free").await;
    let schema = "type Person { name: String }";
    admin(&s, &d, UPDATE_SCHEMA, json!({"sch": schema})).await;
    mutate(
        &s,
        &d,
        json!({"dgraph.type": "Person", "Person.name": "Ann"}),
    )
    .await;

    let (_, body) = slash(
        &s,
        &d,
        "\nmutation {\n  export {\n    signedUrls\n  }\n}",
        json!({}),
    )
    .await;
    let urls: Vec<String> = body["data"]["export"]["signedUrls"]
        .as_array()
        .unwrap()
        .iter()
        .map(str_of)
        .collect();
    assert_eq!(urls.len(), 3);
    let names: Vec<&str> = urls.iter().map(|u| u.rsplit('/').next().unwrap()).collect();
    assert_eq!(
        names,
        vec!["g01.gql_schema.gz", "g01.json.gz", "g01.schema.gz"]
    );
    let mut contents = Vec::new();
    for url in &urls {
        let response = s.http.get(url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        contents.push(gunzip(&response.bytes().await.unwrap()));
    }
    assert_eq!(contents[0], schema);
    let data: Value = serde_json::from_str(&contents[1]).unwrap();
    assert_eq!(data[0]["Person.name"], "Ann");
    assert!(contents[2].contains("<Person.name>:string ."));

    // Signed URLs expire after 48 hours.
    s.advance("default", Duration::from_secs(48 * 3600 + 1))
        .await;
    let (status, _) = send(s.http.get(&urls[0])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_export_with_a_format_is_queued_then_running_then_successful() {
    let s = start().await;
    let token = account(&s, "async@example.com").await;
    let d = deployment(&s, &token, "async", "free").await;
    mutate(&s, &d, json!({"dgraph.type": "T", "T.a": "b"})).await;
    let (_, body) = slash(&s, &d, "mutation {\n  export(format:\"rdf\") {\n    response {\n      message\n      code\n    }\n    exportId\n    taskId\n }\n}", json!({})).await;
    let export = &body["data"]["export"];
    let task = str_of(&export["taskId"]);
    let export_id = str_of(&export["exportId"]);
    assert_eq!(
        export["response"],
        json!({"message": format!("Export queued with ID {task}"), "code": "Success"})
    );
    let status_query = "query($e: String!, $t: String!) { exportStatus(exportId: $e, taskId: $t) { kind lastUpdated signedUrls status } }";
    let vars = json!({"e": export_id, "t": task});
    let (_, body) = slash(&s, &d, status_query, vars.clone()).await;
    assert_eq!(body["data"]["exportStatus"]["status"], "Queued");
    assert_eq!(body["data"]["exportStatus"]["kind"], "Export");
    assert_eq!(body["data"]["exportStatus"]["signedUrls"], json!([]));
    s.advance("default", Duration::from_secs(6)).await;
    let (_, body) = slash(&s, &d, status_query, vars.clone()).await;
    assert_eq!(body["data"]["exportStatus"]["status"], "Running");
    s.advance("default", Duration::from_secs(5)).await;
    let (_, body) = slash(&s, &d, status_query, vars).await;
    assert_eq!(body["data"]["exportStatus"]["status"], "Success");
    let urls = body["data"]["exportStatus"]["signedUrls"]
        .as_array()
        .unwrap();
    let rdf = urls
        .iter()
        .map(str_of)
        .find(|u| u.ends_with("/g01.rdf.gz"))
        .unwrap();
    let bytes = s.http.get(rdf).send().await.unwrap().bytes().await.unwrap();
    assert!(gunzip(&bytes).contains("<T.a> \"b\" ."));

    let (_, body) = slash(
        &s,
        &d,
        "query { exportStatus(taskId: \"0x1\") { status } }",
        json!({}),
    )
    .await;
    assert_eq!(body["errors"][0]["message"], "export task 0x1 not found");
    let (_, body) = slash(
        &s,
        &d,
        "mutation { export(format: \"csv\") { taskId } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["message"],
        "invalid export format \"csv\": use json or rdf"
    );
}

const LIST_BACKUPS: &str = "\nquery {\n    listBackups {\n        response {\n            type\n            backupNum\n            folder\n            timestamp\n        }, errors {\n            message\n        }\n    }\n}";
const RESTORE: &str = "\nmutation($uid: String!, $backupFolder: String, $backupNum: Int) {\n  restore(uid: $uid, backupFolder: $backupFolder, backupNum: $backupNum) {\n    response {\n      code\n      message\n      restoreId\n    }, errors {\n      message\n    }\n  }\n}";
const RESTORE_STATUS: &str = "\nquery($restoreId: Int!) {\n  restoreStatus(restoreId: $restoreId) {\n    response {status errors}\n  }\n}\n";

#[tokio::test]
async fn backups_and_restores_are_for_dedicated_backends_only() {
    let s = start().await;
    let token = account(&s, "bk@example.com").await;
    let free = deployment(&s, &token, "free", "free").await;
    let (_, body) = slash(&s, &free, LIST_BACKUPS, json!({})).await;
    assert_eq!(
        body,
        json!({"data": {"listBackups": {"response": null, "errors": [{"message": "backups are only available on dedicated backends"}]}}})
    );
    let (_, body) = slash(
        &s,
        &free,
        RESTORE,
        json!({"uid": str_of(&free["uid"]), "backupFolder": "", "backupNum": 0}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"restore": {"response": null, "errors": [{"message": "restore is only available on dedicated backends"}]}}})
    );

    let source = deployment(&s, &token, "source", "dedicated").await;
    let target = deployment(&s, &token, "target", "dedicated").await;
    admin(
        &s,
        &source,
        UPDATE_SCHEMA,
        json!({"sch": "type Person { name: String }"}),
    )
    .await;
    mutate(
        &s,
        &source,
        json!({"dgraph.type": "Person", "Person.name": "Ann"}),
    )
    .await;
    s.advance("default", Duration::from_secs(4 * 3600)).await;
    let (_, body) = slash(&s, &source, LIST_BACKUPS, json!({})).await;
    let series = body["data"]["listBackups"]["response"].as_array().unwrap();
    assert_eq!(body["data"]["listBackups"]["errors"], json!([]));
    assert_eq!(series.len(), 1);
    let backups = series[0].as_array().unwrap();
    assert_eq!(backups.len(), 2);
    assert_eq!(backups[0]["type"], "full");
    assert_eq!(backups[1]["type"], "incremental");
    assert_eq!(backups[1]["backupNum"], 2);
    assert!(backups[0]["timestamp"].as_str().unwrap().ends_with("+0000"));

    // The CLI's defaults ("", 0) mean the latest backup; errors is null on success.
    let (_, body) = slash(
        &s,
        &target,
        RESTORE,
        json!({"uid": str_of(&source["uid"]), "backupFolder": "", "backupNum": 0}),
    )
    .await;
    let restore = &body["data"]["restore"];
    assert_eq!(restore["errors"], Value::Null);
    assert_eq!(restore["response"]["code"], "Success");
    assert_eq!(restore["response"]["message"], "Restore operation started.");
    let id = restore["response"]["restoreId"].as_i64().unwrap();

    // restoreId as a string, as the CLI sends it.
    let (_, body) = slash(
        &s,
        &target,
        RESTORE_STATUS,
        json!({"restoreId": id.to_string()}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"restoreStatus": {"response": {"status": "IN_PROGRESS", "errors": []}}}})
    );
    s.advance("default", Duration::from_secs(11)).await;
    let (_, body) = slash(&s, &target, RESTORE_STATUS, json!({"restoreId": id})).await;
    assert_eq!(
        body,
        json!({"data": {"restoreStatus": {"response": {"status": "OK", "errors": []}}}})
    );
    let (_, body) = slash(&s, &target, RESTORE_STATUS, json!({"restoreId": 999})).await;
    assert_eq!(
        body["data"]["restoreStatus"]["response"]["status"],
        "UNKNOWN"
    );
    let (_, body) = admin(&s, &target, "{ getGQLSchema { schema } }", json!({})).await;
    assert_eq!(
        body["data"]["getGQLSchema"]["schema"],
        "type Person { name: String }"
    );
    assert_eq!(export_json(&s, &target).await[0]["Person.name"], "Ann");

    // Another account's backend is no source.
    let other = account(&s, "other@example.com").await;
    let foreign = deployment(&s, &other, "foreign", "dedicated").await;
    let (_, body) = slash(
        &s,
        &target,
        RESTORE,
        json!({"uid": str_of(&foreign["uid"])}),
    )
    .await;
    assert_eq!(
        body["data"]["restore"]["errors"][0]["message"],
        format!("backend {} not found", str_of(&foreign["uid"]))
    );
}

#[tokio::test]
async fn freeze_answers_a_string() {
    let s = start().await;
    let token = account(&s, "fr@example.com").await;
    let d = deployment(&s, &token, "fr", "free").await;
    let (_, body) = slash(&s, &d, "\n  mutation($deepFreeze: Boolean, $backup: Boolean) {\n    freeze(deepFreeze: $deepFreeze, backup: $backup)\n  }", json!({"deepFreeze": false, "backup": true})).await;
    assert_eq!(body, json!({"data": {"freeze": "Backend frozen"}}));
}

#[tokio::test]
async fn dql_schema_query_and_user_graphql_answer_as_dgraph_does() {
    let s = start().await;
    let token = account(&s, "q@example.com").await;
    let d = deployment(&s, &token, "q", "free").await;
    let jwt = str_of(&d["jwtToken"]);
    let (status, body) = data(
        &s,
        backend_url(&d, "/graphql"),
        "X-Auth-Token",
        &jwt,
        "query { queryPerson { name } }",
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["errors"][0]["message"],
        "Not resolving queryPerson. There's no GraphQL schema in Dgraph.  Use the /admin API to add a GraphQL schema"
    );
    admin(
        &s,
        &d,
        UPDATE_SCHEMA,
        json!({"sch": "type Person { name: String }"}),
    )
    .await;
    let (_, body) = data(
        &s,
        backend_url(&d, "/query"),
        "Authorization",
        &jwt,
        "schema { __typename }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["data"]["types"],
        json!([{"name": "Person", "fields": [{"name": "Person.name"}]}])
    );
    assert!(
        body["data"]["schema"]
            .as_array()
            .unwrap()
            .contains(&json!({"predicate": "Person.name", "type": "string"}))
    );
}

#[tokio::test]
async fn backends_are_reached_by_host_header_and_by_path() {
    let s = start().await;
    let token = account(&s, "host@example.com").await;
    let d = deployment(&s, &token, "Polished Violet", "free").await;
    let jwt = str_of(&d["jwtToken"]);
    let q = json!({"query": "{ getGQLSchema { schema } }"});
    for (url, host) in [
        (
            dg(&s, "/admin"),
            Some("polished-violet.us-east-1.aws.cloud.dgraph.io"),
        ),
        (
            s.main_url("/admin"),
            Some("polished-violet.us-east-1.aws.cloud.dgraph.io"),
        ),
        (
            s.main_url("/admin"),
            Some("polished-violet.dgraph.localhost:4600"),
        ),
        (dg(&s, "/backends/polished-violet/admin"), None),
        (s.main_url("/dgraph/backends/polished-violet/admin"), None),
    ] {
        let mut request = s.http.post(&url).header("X-Auth-Token", &jwt).json(&q);
        if let Some(host) = host {
            request = request.header("Host", host);
        }
        let (status, body) = send(request).await;
        assert_eq!(status, StatusCode::OK, "{url} {host:?}: {body}");
        assert_eq!(body, json!({"data": {"getGQLSchema": null}}));
    }
    let (status, body) = send(
        s.http
            .post(dg(&s, "/backends/nope/admin"))
            .header("X-Auth-Token", &jwt)
            .json(&q),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"errors": [{"message": "backend not found"}]}));
}

#[tokio::test]
async fn sessions_keep_backends_apart() {
    let s = start().await;
    let token = account(&s, "sess@example.com").await;
    let d = deployment(&s, &token, "sess", "free").await;
    let (status, _) = send(
        s.http
            .post(dg(&s, "/_session/other/backends/sess/admin"))
            .header("X-Auth-Token", str_of(&d["jwtToken"]))
            .json(&json!({"query": "{ getGQLSchema { schema } }"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn readonly_backends_refuse_mutations_and_strict_ones_refuse_alter() {
    let s = start().await;
    let token = account(&s, "ro@example.com").await;
    let (_, body) = cerebro(
        &s,
        Some(&token),
        "mutation($d: NewDeployment!) { createDeployment(input: $d) { uid url jwtToken } }",
        json!({"d": {"name": "ro", "deploymentType": "dedicated", "deploymentMode": "readonly"}}),
    )
    .await;
    let d = body["data"]["createDeployment"].clone();
    s.advance("default", Duration::from_secs(31)).await;
    let (status, body) = send(
        s.http
            .post(backend_url(&d, "/mutate"))
            .header("X-Auth-Token", str_of(&d["jwtToken"]))
            .json(&json!({"set": {"a": 1}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"errors": [{"message": "mutations are not allowed: the backend is in read-only mode"}]})
    );
    let (status, body) = send(
        s.http
            .post(backend_url(&d, "/alter"))
            .header("X-Auth-Token", str_of(&d["jwtToken"]))
            .body("name: string ."),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["errors"][0]["message"],
        "schema alterations through /alter are only allowed in flexible mode"
    );
    let (status, _) = send(
        s.http
            .get(backend_url(&d, "/prometheus"))
            .header("X-Auth-Token", str_of(&d["jwtToken"])),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn acl_login_on_dedicated_backends_opens_namespace_exports() {
    let s = start().await;
    let token = account(&s, "acl@example.com").await;
    let free = deployment(&s, &token, "acl-free", "free").await;
    let login = "mutation login($userId: String, $password: String, $namespace: Int) {\n  login(userId: $userId, password: $password, namespace: $namespace) {\n    response {\n      accessJWT\n      refreshJWT\n    }\n  }\n}";
    let groot = json!({"userId": "groot", "password": "password", "namespace": 0});
    let (_, body) = admin(&s, &free, login, groot.clone()).await;
    assert_eq!(
        body["errors"][0]["message"],
        "ACL is only available on dedicated backends"
    );

    let d = deployment(&s, &token, "acl", "dedicated").await;
    let (_, body) = admin(
        &s,
        &d,
        login,
        json!({"userId": "groot", "password": "nope"}),
    )
    .await;
    assert_eq!(body["data"], json!({"login": null}));
    assert_eq!(body["errors"][0]["message"], "invalid username or password");
    let (_, body) = admin(&s, &d, login, groot).await;
    let access = str_of(&body["data"]["login"]["response"]["accessJWT"]);
    assert!(body["data"]["login"]["response"]["refreshJWT"].is_string());

    let export = "mutation { export(format: \"json\", namespace: 0) { response { code } taskId } }";
    let (_, body) = slash(&s, &d, export, json!({})).await;
    assert_eq!(
        body["errors"][0]["message"],
        "unauthorized: a valid X-Dgraph-AccessToken for this namespace is required"
    );
    let (_, body) = send(
        s.http
            .post(backend_url(&d, "/admin/slash"))
            .header("X-Auth-Token", str_of(&d["jwtToken"]))
            .header("X-Dgraph-AccessToken", &access)
            .json(&json!({"query": export})),
    )
    .await;
    assert_eq!(
        body["data"]["export"]["response"]["code"], "Success",
        "{body}"
    );
    // The access JWT lasts six hours.
    s.advance("default", Duration::from_secs(6 * 3600 + 1))
        .await;
    let (_, body) = send(
        s.http
            .post(backend_url(&d, "/admin/slash"))
            .header("X-Auth-Token", str_of(&d["jwtToken"]))
            .header("X-Dgraph-AccessToken", &access)
            .json(&json!({"query": export})),
    )
    .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("unauthorized")
    );
}

#[tokio::test]
async fn without_backend_ports_urls_are_real_host_names_served_by_host_header() {
    let mut config = dgraph_config();
    config.dgraph.backend_ports = offcloud::dgraph::PortRange::Off;
    let s = TestServer::start_with(config).await;
    let token = account(&s, "noport@example.com").await;
    let d = deployment(&s, &token, "Frozen Mango", "free").await;
    assert_eq!(d["url"], "frozen-mango.us-east-1.aws.cloud.dgraph.io");
    let (status, body) = send(
        s.http
            .post(dg(&s, "/admin"))
            .header("Host", str_of(&d["url"]))
            .header("Dg-Auth", str_of(&d["jwtToken"]))
            .json(&json!({"query": "{ getGQLSchema { schema } }"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"data": {"getGQLSchema": null}}));
}

#[tokio::test]
async fn the_generated_api_adds_queries_gets_and_deletes_objects() {
    let s = start().await;
    let token = account(&s, "gql@example.com").await;
    let d = deployment(&s, &token, "gql", "free").await;
    let client = api_key(&s, &token, &d, "client").await;
    admin(
        &s,
        &d,
        UPDATE_SCHEMA,
        json!({"sch": "type Person { id: ID! name: String! age: Int }"}),
    )
    .await;
    let gql = |query: &'static str, variables: Value| {
        data(
            &s,
            backend_url(&d, "/graphql"),
            "Dg-Auth",
            &client,
            query,
            variables,
        )
    };

    let (status, body) = gql(
        "mutation Add($people: [AddPersonInput!]!) { addPerson(input: $people) { person { id name } numUids } }",
        json!({"people": [{"name": "Ann", "age": 3}, {"name": "Bob"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["addPerson"]["numUids"], 2, "{body}");
    let ann = body["data"]["addPerson"]["person"][0]["id"].clone();
    assert_eq!(body["data"]["addPerson"]["person"][0]["name"], "Ann");

    let (_, body) = gql(
        "query { people: queryPerson(first: 1, offset: 1) { name age __typename } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"people": [{"name": "Bob", "age": null, "__typename": "Person"}]}})
    );
    let (_, body) = gql(
        "query($id: ID!) { getPerson(id: $id) { ...P } } fragment P on Person { name age }",
        json!({"id": ann}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"getPerson": {"name": "Ann", "age": 3}}})
    );

    let (_, body) = gql(
        "{ queryPerson(filter: { name: { eq: \"Ann\" } }) { name } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["message"],
        "argument filter of queryPerson is not emulated by offcloud"
    );
    let (_, body) = gql("{ queryDog { name } }", json!({})).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Not resolving queryDog.")
    );

    let (_, body) = gql(
        "mutation($ids: [ID!]) { deletePerson(filter: { id: $ids }) { msg numUids } }",
        json!({"ids": [ann]}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"deletePerson": {"msg": "Deleted", "numUids": 1}}})
    );
    let (_, body) = gql("{ queryPerson { name } }", json!({})).await;
    assert_eq!(body, json!({"data": {"queryPerson": [{"name": "Bob"}]}}));
}

#[tokio::test]
async fn objects_typed_by_a_list_are_among_each_of_their_types_in_creation_order() {
    let s = start().await;
    let token = account(&s, "types@example.com").await;
    let d = deployment(&s, &token, "types", "free").await;
    admin(
        &s,
        &d,
        UPDATE_SCHEMA,
        json!({"sch": "type Person { id: ID! name: String! } type Pilot { id: ID! name: String! }"}),
    )
    .await;
    mutate(
        &s,
        &d,
        json!({"dgraph.type": "Person", "Person.name": "Ann"}),
    )
    .await;
    mutate(
        &s,
        &d,
        json!({"dgraph.type": ["Pilot", "Person"], "Person.name": "Bea", "Pilot.name": "Bea"}),
    )
    .await;
    mutate(&s, &d, json!({"dgraph.type": "Pilot", "Pilot.name": "Cid"})).await;
    mutate(
        &s,
        &d,
        json!({"dgraph.type": "Person", "Person.name": "Dee"}),
    )
    .await;
    let jwt = str_of(&d["jwtToken"]);
    let gql = |query: &'static str| {
        data(
            &s,
            backend_url(&d, "/graphql"),
            "X-Auth-Token",
            &jwt,
            query,
            json!({}),
        )
    };
    let (_, body) = gql("{ queryPerson { name } }").await;
    assert_eq!(
        body,
        json!({"data": {"queryPerson": [{"name": "Ann"}, {"name": "Bea"}, {"name": "Dee"}]}})
    );
    let (_, body) = gql("{ queryPerson(first: 1, offset: 1) { name } }").await;
    assert_eq!(body, json!({"data": {"queryPerson": [{"name": "Bea"}]}}));
    let (_, body) = gql("{ queryPilot(offset: 1) { id name } }").await;
    let cid = body["data"]["queryPilot"][0]["id"].clone();
    assert_eq!(body["data"]["queryPilot"][0]["name"], "Cid", "{body}");
    // An id names one object, found only among its own types.
    let (_, body) = data(
        &s,
        backend_url(&d, "/graphql"),
        "X-Auth-Token",
        &jwt,
        "query($id: ID!) { pilot: getPilot(id: $id) { name } person: getPerson(id: $id) { name } }",
        json!({"id": cid}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"pilot": {"name": "Cid"}, "person": null}})
    );
}

#[tokio::test]
async fn dql_schema_lists_predicates_only_the_data_uses() {
    let s = start().await;
    let token = account(&s, "dq@example.com").await;
    let d = deployment(&s, &token, "dq", "free").await;
    let jwt = str_of(&d["jwtToken"]);
    admin(
        &s,
        &d,
        UPDATE_SCHEMA,
        json!({"sch": "type Person { name: String }"}),
    )
    .await;
    mutate(&s, &d, json!({"dgraph.type": "Old", "Old.x": 1})).await;
    let (_, body) = data(
        &s,
        backend_url(&d, "/query"),
        "Authorization",
        &jwt,
        "schema { __typename }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["data"]["types"][1],
        json!({"name": "Old", "fields": [{"name": "Old.x"}]})
    );
}

#[tokio::test]
async fn a_backends_own_port_is_journaled_and_obeys_fault_rules_of_its_session() {
    let s = start().await;
    let token = account(&s, "journal@example.com").await;
    let d = deployment(&s, &token, "Journaled", "dedicated").await;
    let jwt = str_of(&d["jwtToken"]);
    let q = "{ getGQLSchema { schema } }";

    let (status, _) = send(s.http.delete(s.main_url("/_offcloud/requests"))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = data(
        &s,
        backend_url(&d, "/admin"),
        "X-Auth-Token",
        &jwt,
        q,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, journal) = send(
        s.http
            .get(s.main_url("/_offcloud/requests?service=dgraph&path=/admin")),
    )
    .await;
    let entries = journal["requests"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{journal}");
    assert_eq!(entries[0]["session"], "default");
    assert_eq!(entries[0]["status"], 200);
    assert_eq!(
        entries[0]["request"]["headers"]["x-auth-token"],
        "[redacted]"
    );

    let (status, _) = send(
        s.http
            .post(s.main_url("/_offcloud/faults"))
            .json(&json!({"service": "dgraph", "path": "/admin", "status": 503, "times": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = data(
        &s,
        backend_url(&d, "/admin"),
        "X-Auth-Token",
        &jwt,
        q,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, _) = data(
        &s,
        backend_url(&d, "/admin"),
        "X-Auth-Token",
        &jwt,
        q,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

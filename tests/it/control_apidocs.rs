//! `/_offcloud/openapi/{service}.json` and `/_offcloud/schema/{name}.graphql`: each OpenAPI
//! document covers exactly the routes its service serves, passes a real validator
//! (`openapi-spec-validator`), and describes the requests real clients send (recorded in the
//! specs); each SDL parses with graphql-core and validates the spec's recorded operations.
//!
//! The Python tools live in virtualenvs: `$OFFCLOUD_APIDOCS_PYTHON` (openapi-spec-validator,
//! set by `.ci/clients/apidocs.sh`) and `$OFFCLOUD_GQL_PYTHON` (graphql-core, through gql; set by
//! `.ci/clients/hasura.sh`), otherwise venvs under `target/`, created on first use.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{PythonClient, TestServer, send, str_of};

const VALIDATOR: &str = "openapi-spec-validator==0.9.0";
const GQL: &str = "gql[requests]==3.5.3";

fn validator_python() -> PathBuf {
    PythonClient {
        env_var: "OFFCLOUD_APIDOCS_PYTHON",
        venv: "apidocs-venv",
        requirement: VALIDATOR,
        imports: "openapi_spec_validator, jsonschema",
    }
    .python()
}

fn graphql_python() -> PathBuf {
    PythonClient {
        env_var: "OFFCLOUD_GQL_PYTHON",
        venv: "hasura-venv",
        requirement: GQL,
        imports: "gql, graphql",
    }
    .python()
}

/// Runs a Python script with one JSON argument; its stdout is the answer, a failure fails.
async fn run_python(interpreter: PathBuf, script: &'static str, input: Value) -> String {
    let dir = tempfile::tempdir().unwrap();
    let input_path = dir.path().join("input.json");
    std::fs::write(&input_path, input.to_string()).unwrap();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(interpreter)
            .arg("-c")
            .arg(script)
            .arg(&input_path)
            .output()
    })
    .await
    .unwrap()
    .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "python failed:\n{stdout}\n{stderr}"
    );
    stdout
}

async fn document(s: &TestServer, service: &str) -> Value {
    let url = s.main_url(&format!("/_offcloud/openapi/{service}.json"));
    let (status, doc) = send(s.http.get(url)).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    doc
}

/// Every (METHOD, path template) the document describes.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut set = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "put", "post", "delete", "patch", "head", "options"].contains(&&**method) {
                set.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    set
}

/// Every (METHOD, path template) the service at `base` serves: the templates come from the
/// service's route table, the methods from the `Allow` header of its 405 to a method no route
/// has (HEAD is axum's implicit companion of GET, not a route).
async fn served<S: AsRef<str>>(
    s: &TestServer,
    base: &str,
    templates: &[S],
) -> BTreeSet<(String, String)> {
    let probe = Method::from_bytes(b"PROBE").unwrap();
    let mut set = BTreeSet::new();
    for template in templates {
        let template = template.as_ref();
        let path = template
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x1" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let response = s
            .http
            .request(probe.clone(), format!("{base}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{template}"
        );
        let allow = response.headers()["allow"].to_str().unwrap().to_owned();
        for method in allow.split(',').map(str::trim) {
            if !method.is_empty() && method != "HEAD" {
                set.insert((method.to_owned(), template.to_owned()));
            }
        }
    }
    set
}

fn assert_same(served: &BTreeSet<(String, String)>, documented: &BTreeSet<(String, String)>) {
    let undocumented: Vec<_> = served.difference(documented).collect();
    let unserved: Vec<_> = documented.difference(served).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "served but not documented: {undocumented:?}\ndocumented but not served: {unserved:?}"
    );
}

// ---- coverage ------------------------------------------------------------------------------

#[tokio::test]
async fn memgraph_document_covers_exactly_the_served_routes() {
    let s = TestServer::start().await;
    let doc = document(&s, "memgraph").await;
    let base = format!("http://{}", s.memgraph);
    let served = served(&s, &base, &offcloud::memgraph::route_templates()).await;
    assert!(served.contains(&("POST".into(), "/v1/beliefs/batch".into())));
    assert_eq!(served.len(), 66, "{served:?}");
    assert_same(&served, &documented(&doc));
}

#[tokio::test]
async fn typedb_document_covers_exactly_the_served_routes() {
    let s = TestServer::start().await;
    let doc = document(&s, "typedb").await;
    let base = format!("http://{}", s.typedb);
    let served = served(&s, &base, &offcloud::typedb::route_templates()).await;
    // Two bases times two scopes of cluster routes, and the auth and versions routes per base.
    assert_eq!(served.len(), 2 * 2 + 2 * 2 * 8, "{served:?}");
    assert_same(&served, &documented(&doc));
    // The aliases are the canonical operations, deprecated.
    let alias = &doc["paths"]["/api/org/{team}/projects/{space}/clusters"]["get"];
    assert_eq!(alias["deprecated"], true, "{alias}");
    let canonical = &doc["paths"]["/api/v1/team/{team}/spaces/{space}/clusters"]["get"];
    assert_eq!(canonical.get("deprecated"), None, "{canonical}");
    assert_eq!(alias["responses"], canonical["responses"]);
}

#[tokio::test]
async fn dgraph_document_covers_exactly_the_served_routes() {
    let s = TestServer::start().await;
    let doc = document(&s, "dgraph").await;
    let base = format!("http://{}", s.dgraph);
    let served = served(&s, &base, &offcloud::dgraph::rest_route_templates()).await;
    assert!(served.contains(&("PATCH".into(), "/deployment/{uid}".into())));
    assert_eq!(served.len(), 10, "{served:?}");
    assert_same(&served, &documented(&doc));
}

// ---- the documents -------------------------------------------------------------------------

const VALIDATE: &str = r#"
import json, sys
from openapi_spec_validator import validate
docs = json.load(open(sys.argv[1]))
for name, doc in docs.items():
    validate(doc)
    print(name, doc["openapi"])
"#;

#[tokio::test]
async fn every_document_is_valid_openapi_3_1() {
    let python = validator_python();
    let s = TestServer::start().await;
    let mut docs = serde_json::Map::new();
    for service in ["memgraph", "typedb", "dgraph"] {
        docs.insert(service.into(), document(&s, service).await);
    }
    let out = run_python(python, VALIDATE, Value::Object(docs)).await;
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["memgraph 3.1.0", "typedb 3.1.0", "dgraph 3.1.0"]
    );
}

#[tokio::test]
async fn documents_name_their_service_servers_and_security() {
    let s = TestServer::start().await;
    let main = format!("http://{}", s.main);
    let cases = [
        (
            "memgraph",
            "https://api.memgraph.ai",
            s.memgraph,
            vec!["api_key", "bearer"],
        ),
        (
            "typedb",
            "https://cloud.typedb.com",
            s.typedb,
            vec!["basic", "bearer"],
        ),
        (
            "dgraph",
            "https://cerebro.cloud.dgraph.io",
            s.dgraph,
            vec!["bearer"],
        ),
    ];
    for (service, real, own, schemes) in cases {
        let doc = document(&s, service).await;
        assert_eq!(doc["openapi"], "3.1.0");
        let title = doc["info"]["title"].as_str().unwrap();
        assert!(title.contains("offcloud emulation"), "{title}");
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
        let urls: Vec<&str> = doc["servers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["url"].as_str().unwrap())
            .collect();
        assert_eq!(
            urls,
            [
                real.to_owned(),
                format!("{main}/{service}"),
                format!("http://localhost:{}", own.port())
            ],
            "{service}"
        );
        let mut names: Vec<&str> = doc["components"]["securitySchemes"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        names.sort();
        assert_eq!(names, schemes, "{service}");
    }
}

#[tokio::test]
async fn memgraph_operations_carry_fastapi_errors_and_their_credentials() {
    let s = TestServer::start().await;
    let doc = document(&s, "memgraph").await;
    let get_belief = &doc["paths"]["/v1/beliefs/{belief_id}"]["get"];
    assert_eq!(
        get_belief["security"],
        json!([{"bearer": []}, {"api_key": []}])
    );
    let responses = &get_belief["responses"];
    let statuses: Vec<&str> = responses
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(statuses, ["200", "401", "403", "404", "422", "429"]);
    assert_eq!(
        responses["404"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/HTTPError"
    );
    assert_eq!(
        responses["422"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/HTTPValidationError"
    );
    assert_eq!(
        doc["components"]["schemas"]["HTTPError"]["required"],
        json!(["detail"])
    );
    // Key management is for dashboard users only.
    assert_eq!(
        doc["paths"]["/v1/api-keys"]["post"]["security"],
        json!([{"bearer": []}])
    );
    // Public routes need nothing.
    assert_eq!(doc["paths"]["/health"]["get"].get("security"), None);
    let login = &doc["paths"]["/v1/auth/login"]["post"]["requestBody"]["content"];
    assert!(
        login.get("application/x-www-form-urlencoded").is_some(),
        "{login}"
    );
}

#[tokio::test]
async fn typedb_and_dgraph_errors_are_in_their_own_shapes() {
    let s = TestServer::start().await;
    let doc = document(&s, "typedb").await;
    let error = &doc["components"]["schemas"]["Error"];
    assert_eq!(error["required"], json!(["code", "message"]), "{error}");
    let deploy = &doc["paths"]["/api/v1/team/{team}/spaces/{space}/clusters/deploy"]["post"];
    assert_eq!(
        deploy["responses"]["409"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Error"
    );
    assert_eq!(
        doc["paths"]["/api/v1/auth"]["post"]["security"],
        json!([{"basic": []}])
    );
    assert_eq!(deploy["security"], json!([{"bearer": []}]));

    let doc = document(&s, "dgraph").await;
    let error = &doc["components"]["schemas"]["RestError"];
    assert_eq!(error["required"], json!(["error"]), "{error}");
    let delete = &doc["paths"]["/deployment/{uid}"]["delete"];
    assert_eq!(
        delete["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/RestError"
    );
}

#[tokio::test]
async fn an_unknown_service_is_a_404_listing_the_valid_ones() {
    let s = TestServer::start().await;
    for file in ["hasura.json", "memgraph", "memgraph.yaml", "nope.json"] {
        let url = s.main_url(&format!("/_offcloud/openapi/{file}"));
        let (status, body) = send(s.http.get(url)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{file}");
        assert_eq!(
            body["error"],
            format!(
                "no openapi document {file:?}: there are memgraph.json, typedb.json, dgraph.json"
            )
        );
    }
    for file in ["memgraph.graphql", "dgraph", "typedb.graphql"] {
        let url = s.main_url(&format!("/_offcloud/schema/{file}"));
        let (status, body) = send(s.http.get(url)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{file}");
        assert_eq!(
            body["error"],
            format!(
                "no schema document {file:?}: there are hasura.graphql, dgraph.graphql, \
                 dgraph-admin.graphql, dgraph-slash.graphql"
            )
        );
    }
}

// ---- recorded requests against the documents -----------------------------------------------

/// Finds each request's operation (the template with the most literal segments wins, as in a
/// router), then checks its query parameters (each documented, the required ones given, values
/// of the declared type) and its body against the request schema of its content type; or, for
/// an answer (one with a `status`), that the status is documented and the body fits its schema.
/// Prints one JSON line per request: the problems found.
const CHECK_REQUESTS: &str = r#"
import json, re, sys
from urllib.parse import urlsplit, parse_qsl
from jsonschema import Draft202012Validator

inp = json.load(open(sys.argv[1]))
doc = inp["doc"]

def operation_path(path):
    best = None
    for template in doc["paths"]:
        if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), path):
            score = sum(1 for s in template.split("/") if not s.startswith("{"))
            if best is None or score > best[0]:
                best = (score, template)
    return best and best[1]

def problems_of(schema, value):
    root = dict(schema)
    root["components"] = doc.get("components", {})
    return sorted(e.message for e in Draft202012Validator(root).iter_errors(value))

def query_value(schema, text):
    types = schema.get("type", [])
    types = types if isinstance(types, list) else [types]
    if "integer" in types and re.fullmatch(r"-?\d+", text):
        return int(text)
    if "boolean" in types and text in ("true", "false"):
        return text == "true"
    return text

def check(request):
    url = urlsplit(request["url"])
    template = operation_path(url.path)
    if template is None:
        return ["no documented path"]
    op = doc["paths"][template].get(request["method"].lower())
    if op is None:
        return [request["method"] + " is not documented on " + template]
    if "status" in request:
        return response_problems(op, request)
    problems = []
    params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
    query = dict(parse_qsl(url.query))
    for name, text in query.items():
        if name not in params:
            problems.append("query " + name + " is not documented")
        else:
            problems += problems_of(params[name]["schema"], query_value(params[name]["schema"], text))
    for name, p in params.items():
        if p.get("required") and name not in query:
            problems.append("query " + name + " is required")
    body = request.get("body")
    rb = op.get("requestBody")
    if body is None:
        if rb is not None and rb.get("required"):
            problems.append("a body is required")
    elif rb is None:
        problems.append("no body is documented")
    else:
        content_type = request.get("content_type", "application/json")
        media = rb["content"].get(content_type)
        if media is None:
            problems.append(content_type + " is not documented")
        else:
            problems += problems_of(media["schema"], body)
    return problems

def response_problems(op, answer):
    response = op["responses"].get(str(answer["status"]))
    if response is None:
        return ["status " + str(answer["status"]) + " is not documented"]
    content = response.get("content", {})
    if isinstance(answer["body"], str):
        return [] if any(t.startswith("text/plain") for t in content) else ["no text response"]
    media = content.get("application/json")
    if media is None:
        return ["no JSON response"]
    return problems_of(media["schema"], answer["body"])

for request in inp["requests"]:
    print(json.dumps(check(request)))
"#;

/// A request a client sends: method, path with query, and a JSON or form body.
fn req(method: &str, url: &str, body: Option<Value>) -> Value {
    json!({"method": method, "url": url, "body": body})
}

fn form(method: &str, url: &str, fields: Value) -> Value {
    json!({"method": method, "url": url, "body": fields,
           "content_type": "application/x-www-form-urlencoded"})
}

/// Runs the checker over requests that must fit and requests that must not (so a checker that
/// accepts everything fails the test).
async fn check_requests(s: &TestServer, service: &str, good: Vec<Value>, bad: Vec<Value>) {
    let doc = document(s, service).await;
    let requests: Vec<Value> = good.iter().chain(&bad).cloned().collect();
    let input = json!({"doc": doc, "requests": requests});
    let out = run_python(validator_python(), CHECK_REQUESTS, input).await;
    let results: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), requests.len(), "{out}");
    for (request, problems) in good.iter().zip(&results) {
        assert_eq!(problems, &json!([]), "{request}");
    }
    for (request, problems) in bad.iter().zip(&results[good.len()..]) {
        assert_ne!(problems, &json!([]), "{request} should not fit");
    }
}

/// The Memgraph SDK's and CLI's calls (spec memgraph.md §7.3) and login (§6.1).
#[tokio::test]
async fn the_memgraph_sdks_requests_fit_the_document() {
    let s = TestServer::start().await;
    let belief = json!({"subject_id": "u1", "key": "general_likes_tea_abc123", "value": "likes tea",
                        "confidence": 0.9, "belief_type": "belief", "domain": "general",
                        "tenant_id": "t1"});
    let good = vec![
        req("GET", "/health", None),
        req("GET", "/v1/auth/whoami", None),
        form(
            "POST",
            "/v1/auth/login",
            json!({"username": "a@b.c", "password": "pw"}),
        ),
        form(
            "POST",
            "/v1/ingest",
            json!({"user_id": "u1", "text": "hello", "tenant_id": "t1"}),
        ),
        req("POST", "/v1/beliefs", Some(belief.clone())),
        req(
            "POST",
            "/v2/context",
            Some(json!({"query": "tea", "user_id": "u1", "agent_id": "a"})),
        ),
        req(
            "POST",
            "/v1/context",
            Some(json!({"query": "tea", "user_id": "cli_user", "agent_id": "cli"})),
        ),
        req(
            "GET",
            "/v1/beliefs?subject_id=u1&limit=50&cursor=abc&tenant_id=t1",
            None,
        ),
        req(
            "GET",
            "/v1/beliefs/history/u1/k1?include_inactive=true&as_of=2026-01-01T00:00:00Z",
            None,
        ),
        req("GET", "/v1/beliefs/timeline/u1?limit=50&domain=work", None),
        req("DELETE", "/v1/beliefs/b1", None),
        req(
            "DELETE",
            "/v1/beliefs?subject_id=u1&soft=true&domain=tech",
            None,
        ),
        req("GET", "/v1/intelligence/health?user_id=u1", None),
        req("GET", "/v1/intelligence/contradictions", None),
    ];
    let mut good = good;
    good.extend(sdk_v2_requests());
    let mut wrong_type = belief.clone();
    wrong_type["confidence"] = json!("high");
    let bad = vec![
        req("POST", "/v1/beliefs", Some(wrong_type)),
        req("POST", "/v1/beliefs", Some(json!({"subject_id": "u1"}))),
        req("GET", "/v1/beliefs?limit=many", None),
        req(
            "POST",
            "/v1/documents",
            Some(json!({"query": "q", "user_id": "u"})),
        ),
        req("PUT", "/v1/beliefs/b1", None),
        req(
            "POST",
            "/v1/benchmark/run",
            Some(json!({"scenario": "speed"})),
        ),
        req("POST", "/v2/entities", Some(json!({"name": "no type"}))),
        req("GET", "/v2/decisions?limit=0", None),
    ];
    check_requests(&s, "memgraph", good, bad).await;
}

/// What the SDK's intelligence, sidecar and v2 methods send (spec memgraph.md §7.3), with the
/// bodies and query strings its code builds.
fn sdk_v2_requests() -> Vec<Value> {
    let messages = json!([{"role": "user", "content": "I moved to Berlin"},
                          {"role": "assistant", "content": "Nice"}]);
    vec![
        req(
            "POST",
            "/v1/intelligence/evaluate",
            Some(json!({"query": "q", "user_id": "u"})),
        ),
        req("GET", "/v1/intelligence/mcis?save=true&user_id=u", None),
        req(
            "GET",
            "/v1/intelligence/mcis/history?limit=30&user_id=u",
            None,
        ),
        req(
            "POST",
            "/v1/benchmark/run",
            Some(json!({"scenario": "locomo"})),
        ),
        req("GET", "/v1/benchmark/scenarios", None),
        req(
            "POST",
            "/v1/sidecar/pre-flight",
            Some(
                json!({"user_id": "u", "agent_id": "sdk_sidecar", "message": "hi",
                        "token_budget": 4000, "include_profile": true,
                        "include_prospective": true, "thread_id": "t"}),
            ),
        ),
        req(
            "POST",
            "/v1/sidecar/post-flight",
            Some(
                json!({"user_id": "u", "agent_id": "sdk_sidecar", "messages": messages,
                        "wait": false, "thread_id": "t"}),
            ),
        ),
        req(
            "POST",
            "/v1/sidecar/process",
            Some(
                json!({"user_id": "u", "agent_id": "sdk_sidecar", "messages": messages,
                        "token_budget": 4000, "include_profile": true,
                        "include_prospective": true}),
            ),
        ),
        req(
            "POST",
            "/v2/context",
            Some(
                json!({"query": "q", "include_decisions": true, "include_graph": true,
                        "create_snapshot": false, "user_id": "u", "agent_id": "a"}),
            ),
        ),
        req(
            "POST",
            "/v2/entities",
            Some(
                json!({"entity_type": "person", "name": "Alice", "properties": {"a": 1},
                        "aliases": ["Ali"]}),
            ),
        ),
        req("GET", "/v2/entities/e1", None),
        req("GET", "/v2/entities?limit=50&entity_type=person", None),
        req(
            "POST",
            "/v2/entities/search",
            Some(json!({"query": "ali", "max_results": 5})),
        ),
        req("DELETE", "/v2/entities/e1", None),
        req(
            "POST",
            "/v2/relationships",
            Some(json!({"source_entity_id": "e1", "target_entity_id": "e2",
                        "relation_type": "knows", "confidence": 1.0,
                        "valid_from": "2026-01-01T00:00:00Z", "valid_to": "2027-01-01",
                        "evidence_sources": ["doc"]})),
        ),
        req(
            "GET",
            "/v2/relationships?limit=50&entity_id=e1&relation_type=knows",
            None,
        ),
        req(
            "POST",
            "/v2/decisions",
            Some(json!({"goal": "g", "create_snapshot": false,
                        "reasoning_steps": [{"step": 1, "description": "d"}],
                        "tools_used": [{"tool_name": "t"}], "beliefs_used": ["b1"],
                        "confidence": 0.5, "outcome": "SUCCESS", "outcome_assessment": "ok",
                        "agent_id": "a", "user_id": "u", "episode_id": "ep"})),
        ),
        req("GET", "/v2/decisions/d1", None),
        req(
            "POST",
            "/v2/outcomes/record",
            Some(json!({"decision_id": "d1", "outcome": "FAILURE", "feedback": "f"})),
        ),
        req("DELETE", "/v2/decisions/d1", None),
        req("GET", "/v2/decisions/d1/explain", None),
        req(
            "GET",
            "/v2/decisions?limit=50&agent_id=a&user_id=u&outcome=SUCCESS",
            None,
        ),
        req(
            "POST",
            "/v2/graph/traverse",
            Some(json!({"entity_ids": ["e1"], "max_depth": 2, "temporal_filter": true})),
        ),
        req("GET", "/v2/contradictions?limit=50&status=open", None),
        req(
            "PATCH",
            "/v2/contradictions/c1",
            Some(json!({"resolution_status": "resolved", "resolved_by": "manual"})),
        ),
        req("GET", "/v2/analytics", None),
    ]
}

/// The TypeDB docs' examples (docs/spec/typedb.md §4.1, §6.1, §7.4–7.6) and the old paths (§2).
#[tokio::test]
async fn the_typedb_docs_requests_fit_the_document() {
    let s = TestServer::start().await;
    let clusters = "/api/v1/team/my-team/spaces/default/clusters";
    let good = vec![
        req("POST", "/api/v1/auth", None),
        req("GET", "/api/v1/cluster-versions", None),
        req(
            "POST",
            &format!("{clusters}/deploy"),
            Some(json!({
            "id": "api-cluster", "serverCount": 1, "storageSizeGB": 10, "provider": "gcp",
            "region": "europe-west2", "isFree": true, "machineType": "c2d-highcpu-2",
            "storageType": "standard-rwo", "version": "latest"})),
        ),
        req("GET", clusters, None),
        req("GET", &format!("{clusters}/api-cluster"), None),
        req(
            "PATCH",
            &format!("{clusters}/api-cluster"),
            Some(json!({"id": "api-cluster", "backupConfiguration": {"frequency": "daily"}})),
        ),
        req(
            "POST",
            &format!("{clusters}/api-cluster/clone"),
            Some(json!({"id": "api-cluster-2"})),
        ),
        req("POST", &format!("{clusters}/api-cluster/suspend"), None),
        req("POST", &format!("{clusters}/api-cluster/resume"), None),
        req("DELETE", &format!("{clusters}/api-cluster"), None),
        req("GET", "/api/org/my-org/projects/default/clusters", None),
        req("POST", "/api/auth", None),
    ];
    let bad = vec![
        req(
            "POST",
            &format!("{clusters}/deploy"),
            Some(json!({"id": "x", "serverCount": "one"})),
        ),
        req(
            "POST",
            &format!("{clusters}/api-cluster/clone"),
            Some(json!({})),
        ),
        req(
            "PATCH",
            &format!("{clusters}/api-cluster/clone"),
            Some(json!({"id": "y"})),
        ),
    ];
    check_requests(&s, "typedb", good, bad).await;
}

/// The slash-graphql CLI's REST calls (spec dgraph.md §8.3, §8.6) and a GraphQL request (§4.2).
#[tokio::test]
async fn the_slash_graphql_clis_requests_fit_the_document() {
    let s = TestServer::start().await;
    let good = vec![
        req("POST", "/command-line/device-code", Some(json!({}))),
        req(
            "POST",
            "/command-line/access-token",
            Some(json!({"deviceCode": "abc"})),
        ),
        req(
            "POST",
            "/command-line/access-token/refresh",
            Some(json!({"refreshToken": "r"})),
        ),
        req(
            "POST",
            "/command-line/access-token/revoke",
            Some(json!({"refreshToken": "r"})),
        ),
        req(
            "POST",
            "/command-line/access-token/revoke-all",
            Some(json!({})),
        ),
        req(
            "POST",
            "/deployments/create",
            Some(json!({"name": "My New Backend",
            "zone": "us-east-1", "subdomain": "mysub", "deploymentMode": "flexible",
            "organizationId": ""})),
        ),
        req(
            "PATCH",
            "/deployment/0x42",
            Some(json!({"name": "New Name", "deploymentMode": "flexible"})),
        ),
        req(
            "PATCH",
            "/deployment/0x42",
            Some(json!({"lambdaScript": ""})),
        ),
        req("DELETE", "/deployment/0x42", None),
        req(
            "POST",
            "/deployments/0x42/api-keys",
            Some(json!({"name": "slash-graphql-cli", "role": "client"})),
        ),
        req(
            "POST",
            "/graphql",
            Some(json!({
            "query": "query Login($email: String!, $password: String!) {\n  login(email: $email, password: $password) {    \n    token\n  }\n}",
            "variables": {"email": "a@b.c", "password": "pw"}})),
        ),
    ];
    let bad = vec![
        req(
            "POST",
            "/command-line/access-token",
            Some(json!({"deviceCode": 42})),
        ),
        req("POST", "/graphql", Some(json!({"variables": {}}))),
        req("GET", "/deployments/create", None),
    ];
    check_requests(&s, "dgraph", good, bad).await;
}

// ---- GraphQL SDL ---------------------------------------------------------------------------

/// Builds the schema with graphql-core and validates each operation against it; prints one
/// JSON line per operation: its validation errors.
const CHECK_OPERATIONS: &str = r#"
import json, sys
from graphql import build_schema, parse, validate
inp = json.load(open(sys.argv[1]))
schema = build_schema(inp["sdl"])
for operation in inp["operations"]:
    print(json.dumps([e.message for e in validate(schema, parse(operation))]))
"#;

async fn sdl(s: &TestServer, name: &str) -> String {
    let response = s
        .http
        .get(s.main_url(&format!("/_offcloud/schema/{name}.graphql")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{name}");
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    response.text().await.unwrap()
}

async fn check_operations(sdl: String, good: &[&str], bad: &[&str]) {
    let operations: Vec<&str> = good.iter().chain(bad).copied().collect();
    let input = json!({"sdl": sdl, "operations": operations});
    let out = run_python(graphql_python(), CHECK_OPERATIONS, input).await;
    let results: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), operations.len(), "{out}");
    for (operation, errors) in good.iter().zip(&results) {
        assert_eq!(errors, &json!([]), "{operation}");
    }
    for (operation, errors) in bad.iter().zip(&results[good.len()..]) {
        assert_ne!(errors, &json!([]), "{operation} should not validate");
    }
}

/// The documented operations of spec hasura.md §6.1–6.5, and other clients' forms of them.
#[tokio::test]
async fn the_hasura_sdl_parses_and_validates_the_documented_operations() {
    let s = TestServer::start().await;
    let sdl = sdl(&s, "hasura").await;
    assert!(sdl.contains("type query_root"), "{sdl}");
    let good = [
        r#"mutation createProject {
  createTenant(
    cloud: "aws"
    region: "us-east-2"
    envs: [{ key: "HASURA_GRAPHQL_CORS_DOMAIN", value: "*" }, { key: "MY_ENV_VAR_1", value: "my value 1" }]
  ) {
    id
    name
  }
}"#,
        "mutation createTenant($name: String, $plan: String!, $region: String!, $cloud: String!) { createTenant(cloud: $cloud, region: $region, name: $name, plan: $plan) { id } }",
        r#"query getProjectTenantId {
  projects_by_pk(id: "7a79cf94-0e53-4520-a560-1b02bf522f08") { id tenant { id } }
}"#,
        "query getProjectDetails($id: uuid!) { project: projects_by_pk(id: $id) { id name endpoint } }",
        "query { projects { name tenant { id } } }",
        r#"query getTenantDetails {
  tenant_by_pk(id: "7a79cf94-0e53-4520-a560-1b02bf522f08") { id slug project { id endpoint } }
}"#,
        "query ($id: uuid!) { tenant_by_pk(id:$id) { id region cloud } }",
        r#"mutation deleteTenant { deleteTenant(tenantId: "7a79cf94-0e53-4520-a560-1b02bf522f08") { status } }"#,
        "query getTenantEnv($tenantId: uuid!) { getTenantEnv(tenantId: $tenantId) { hash envVars } }",
    ];
    let bad = [
        "query { projects { no_such_field } }",
        "mutation { createTenant(cloud: 1) { id } }",
    ];
    check_operations(sdl, &good, &bad).await;
}

/// Cerebro's documented operations (spec dgraph.md §4.2–4.5, §8.4) and a deployment's
/// `/admin` and `/admin/slash` ones (§8.5).
#[tokio::test]
async fn the_dgraph_sdls_parse_and_validate_the_documented_operations() {
    let s = TestServer::start().await;
    let cerebro = sdl(&s, "dgraph").await;
    let good = [
        "query Login($email: String!, $password: String!) {\n  login(email: $email, password: $password) {    \n    token\n  }\n}",
        "{\n deployments {\n uid\n name\n zone\n url\n owner\n jwtToken\n deploymentMode\n deploymentType\n lambdaScript\n }\n}",
        "query{\n  deployments {\n    uid\n    name\n    zone\n    subdomain\n    url\n    tenantID\n    lambdaScript\n  }\n}",
        "mutation CreateDeployment($deployment: NewDeployment!) {\n  createDeployment(input: $deployment) {\n    uid\n    name\n    url\n    jwtToken\n  }\n}",
        "\nquery GetLambdaLogs($input: LambdaLogsInput!) {\n  getLambdaLogs(input: $input)\n}\n",
    ];
    let bad = [
        "{ deployments { status } }",
        "mutation { login(email: \"a\") { token } }",
    ];
    check_operations(cerebro, &good, &bad).await;

    let admin = sdl(&s, "dgraph-admin").await;
    let good = [
        "{\n  getGQLSchema {\n    schema\n    generatedSchema\n  }\n}",
        "\nmutation($sch: String!) {\n  updateGQLSchema(input: { set: { schema: $sch } })\n  {\n    gqlSchema {\n      schema\n    }\n  }\n}",
    ];
    check_operations(admin, &good, &["{ getGQLSchema { nope } }"]).await;

    let slash = sdl(&s, "dgraph-slash").await;
    let good = [
        "\nmutation {\n  dropData(allData: true) {\n    response { code message }\n  }\n}",
        "\nmutation($types: [String!]) {\n  dropData(types: $types) {\n    response { code message }\n  }\n}\n",
        "\nmutation {\n  export {\n    signedUrls\n  }\n}",
        "\nquery {\n    listBackups {\n        response {\n            type\n            backupNum\n            folder\n            timestamp\n        }, errors {\n            message\n        }\n    }\n}",
    ];
    check_operations(
        slash,
        &good,
        &["mutation { dropData(allData: \"yes\") { response { code } } }"],
    )
    .await;
}

// ---- real answers against the documents ----------------------------------------------------

/// Answers of a running service, to check against its document.
struct Answers {
    base: String,
    taken: Vec<Value>,
}

impl Answers {
    fn new(base: String) -> Answers {
        Answers {
            base,
            taken: Vec::new(),
        }
    }

    /// Sends the request and keeps its status and body (JSON, or text).
    async fn take(&mut self, request: reqwest::RequestBuilder) -> Value {
        let request = request.build().unwrap();
        let method = request.method().to_string();
        let url = request
            .url()
            .as_str()
            .strip_prefix(&self.base)
            .unwrap()
            .to_owned();
        let response = reqwest::Client::new().execute(request).await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        self.taken
            .push(json!({"method": method, "url": url, "status": status, "body": body}));
        body
    }

    /// Each answer's status is documented for its operation and its body fits the schema.
    async fn check(self, s: &TestServer, service: &str, at_least: usize) {
        assert!(self.taken.len() >= at_least, "{:?}", self.taken);
        let answers = self.taken.clone();
        check_requests(s, service, answers, Vec::new()).await;
    }
}

#[tokio::test]
async fn memgraph_answers_fit_the_document() {
    let s = TestServer::start().await;
    let a = s.onboard("answers@example.com").await;
    let http = &s.http;
    let mut answers = Answers::new(s.mg(""));
    let key = |r: reqwest::RequestBuilder| r.header("X-API-Key", &a.api_key);
    let jwt = |r: reqwest::RequestBuilder| r.bearer_auth(&a.token);
    answers.take(http.get(s.mg("/health"))).await;
    answers.take(http.get(s.mg("/metrics"))).await;
    answers.take(key(http.get(s.mg("/v1/auth/whoami")))).await;
    answers.take(jwt(http.get(s.mg("/v1/auth/me")))).await;
    answers.take(http.get(s.mg("/v1/auth/me"))).await;
    answers
        .take(
            http.post(s.mg("/v1/auth/login"))
                .form(&[("username", "answers@example.com"), ("password", "wrong")]),
        )
        .await;
    answers
        .take(
            http.post(s.mg("/v1/auth/login"))
                .form(&[("username", "answers@example.com")]),
        )
        .await;
    let created = answers
        .take(jwt(http
            .post(s.mg("/v1/api-keys"))
            .json(&json!({"name": "ci"}))))
        .await;
    answers.take(jwt(http.get(s.mg("/v1/api-keys")))).await;
    answers.take(key(http.get(s.mg("/v1/api-keys")))).await;
    answers
        .take(jwt(http.delete(
            s.mg(&format!("/v1/api-keys/{}", str_of(&created["id"]))),
        )))
        .await;
    let user = answers
        .take(jwt(http.post(s.mg("/v1/users")).json(
            &json!({"email": "v@example.com", "password": "pw", "role": "viewer"}),
        )))
        .await;
    answers
        .take(jwt(http
            .patch(s.mg(&format!("/v1/users/{}", str_of(&user["id"]))))
            .json(&json!({"full_name": "V"}))))
        .await;
    answers.take(jwt(http.get(s.mg("/v1/users/nope")))).await;
    answers
        .take(jwt(http
            .patch(s.mg("/v1/tenant"))
            .json(&json!({"sector": "Finance"}))))
        .await;
    answers.take(key(http.get(s.mg("/v1/tenant")))).await;
    answers.take(key(http.get(s.mg("/v1/stats")))).await;
    let event = answers.take(key(http.post(s.mg("/v1/events")).json(&json!({"user_id": "u1", "event_type": "user_message", "content": {"text": "I like tea"}})))).await;
    answers
        .take(key(http.get(s.mg("/v1/events?user_id=u1"))))
        .await;
    answers
        .take(key(
            http.get(s.mg(&format!("/v1/events/{}", str_of(&event["id"]))))
        ))
        .await;
    answers
        .take(key(http
            .post(s.mg("/v1/ingest"))
            .form(&[("user_id", "u1"), ("text", "hello")])))
        .await;
    answers.take(key(http.get(s.mg("/v1/episodes")))).await;
    answers
        .take(key(http.get(s.mg(&format!(
            "/v1/episodes/{}",
            str_of(&event["episode_id"])
        )))))
        .await;
    answers
        .take(key(http.get(s.mg("/v1/dreaming/health"))))
        .await;
    let belief = json!({"subject_id": "u1", "key": "drink", "value": "tea", "confidence": 0.8});
    let belief = answers
        .take(key(http.post(s.mg("/v1/beliefs")).json(&belief)))
        .await;
    answers
        .take(key(http.post(s.mg("/v1/beliefs")).json(&json!({"key": 1}))))
        .await;
    answers
        .take(key(http.post(s.mg("/v1/beliefs/batch")).json(
            &json!({"beliefs": [{"subject_id": "u1", "key": "drink", "value": "coffee"}]}),
        )))
        .await;
    answers
        .take(key(http.get(s.mg("/v1/beliefs?subject_id=u1"))))
        .await;
    answers
        .take(key(
            http.get(s.mg(&format!("/v1/beliefs/{}", str_of(&belief["id"]))))
        ))
        .await;
    answers
        .take(key(http
            .patch(s.mg(&format!("/v1/beliefs/{}", str_of(&belief["id"]))))
            .json(&json!({"value": "green tea"}))))
        .await;
    answers
        .take(key(http.get(s.mg("/v1/beliefs/history/u1/drink"))))
        .await;
    answers
        .take(key(http.get(s.mg("/v1/beliefs/timeline/u1"))))
        .await;
    answers
        .take(key(http
            .post(s.mg("/v2/context"))
            .json(&json!({"query": "tea", "user_id": "u1"}))))
        .await;
    answers
        .take(key(http
            .post(s.mg("/v1/context"))
            .json(&json!({"task": "tea"}))))
        .await;
    answers
        .take(key(http.get(s.mg("/v1/intelligence/health"))))
        .await;
    answers
        .take(key(http.get(s.mg("/v1/intelligence/contradictions"))))
        .await;
    answers.take(jwt(http.get(s.mg("/v1/admin/export")))).await;
    answers
        .take(jwt(http
            .post(s.mg("/v1/admin/import"))
            .json(&json!({"version": 1}))))
        .await;
    answers
        .take(key(http.delete(
            s.mg(&format!("/v1/beliefs/{}", str_of(&belief["id"]))),
        )))
        .await;
    answers
        .take(key(http.delete(s.mg("/v1/beliefs?subject_id=u1"))))
        .await;
    answers
        .take(key(http.delete(
            s.mg(&format!("/v1/events/{}", str_of(&event["id"]))),
        )))
        .await;
    answers
        .take(jwt(
            http.delete(s.mg(&format!("/v1/users/{}", str_of(&user["id"]))))
        ))
        .await;
    answers.check(&s, "memgraph", 40).await;
}

#[tokio::test]
async fn memgraph_v2_answers_fit_the_document() {
    let s = TestServer::start().await;
    let a = s.onboard("answers-v2@example.com").await;
    let http = &s.http;
    let mut answers = Answers::new(s.mg(""));
    let key = |r: reqwest::RequestBuilder| r.header("X-API-Key", &a.api_key);
    let post = |path: &str, body: Value| key(http.post(s.mg(path)).json(&body));
    let get = |path: &str| key(http.get(s.mg(path)));
    for value in ["Paris", "Berlin"] {
        let belief = json!({"subject_id": "u", "key": "city", "value": value});
        answers.take(post("/v1/beliefs", belief)).await;
    }
    let alice = answers
        .take(post(
            "/v2/entities",
            json!({"entity_type": "person", "name": "Alice"}),
        ))
        .await;
    let acme = answers
        .take(post(
            "/v2/entities",
            json!({"entity_type": "org", "name": "Acme"}),
        ))
        .await;
    answers.take(post("/v2/entities", json!({}))).await;
    answers.take(get("/v2/entities")).await;
    answers
        .take(get(&format!("/v2/entities/{}", str_of(&alice["id"]))))
        .await;
    answers.take(get("/v2/entities/nope")).await;
    answers
        .take(post("/v2/entities/search", json!({"query": "ali"})))
        .await;
    let rel = json!({"source_entity_id": alice["id"], "target_entity_id": acme["id"],
                     "relation_type": "works_at", "valid_to": "2030-01-01"});
    answers.take(post("/v2/relationships", rel)).await;
    answers.take(get("/v2/relationships?limit=0")).await;
    answers.take(get("/v2/relationships")).await;
    answers
        .take(post(
            "/v2/graph/traverse",
            json!({"entity_ids": [alice["id"]]}),
        ))
        .await;
    let decision = answers
        .take(post(
            "/v2/decisions",
            json!({"goal": "Deploy", "beliefs_used": ["x"], "create_snapshot": true,
                   "reasoning_steps": [{"step": 1}]}),
        ))
        .await;
    let d = str_of(&decision["id"]);
    answers.take(get("/v2/decisions")).await;
    answers.take(get(&format!("/v2/decisions/{d}"))).await;
    answers
        .take(post(
            "/v2/outcomes/record",
            json!({"decision_id": d, "outcome": "FAILURE", "feedback": "no"}),
        ))
        .await;
    answers
        .take(get(&format!("/v2/decisions/{d}/explain")))
        .await;
    let open = answers.take(get("/v2/contradictions")).await;
    answers
        .take(key(http
            .patch(s.mg(&format!("/v2/contradictions/{}", str_of(&open[0]["id"]))))
            .json(&json!({"resolution_status": "dismissed"}))))
        .await;
    answers.take(get("/v1/intelligence/contradictions")).await;
    answers
        .take(post(
            "/v2/context",
            json!({"query": "alice deploy", "create_snapshot": true}),
        ))
        .await;
    let messages = json!([{"role": "user", "content": "I moved to Berlin"},
                          {"role": "assistant", "content": "Nice"}]);
    answers
        .take(post(
            "/v1/sidecar/post-flight",
            json!({"user_id": "u", "messages": messages, "wait": true}),
        ))
        .await;
    answers
        .take(post(
            "/v1/sidecar/post-flight",
            json!({"user_id": "u", "messages": messages}),
        ))
        .await;
    answers
        .take(post(
            "/v1/sidecar/pre-flight",
            json!({"user_id": "u", "message": "deploy"}),
        ))
        .await;
    answers
        .take(post(
            "/v1/sidecar/process",
            json!({"user_id": "u", "messages": messages}),
        ))
        .await;
    answers
        .take(post(
            "/v1/intelligence/evaluate",
            json!({"query": "berlin", "user_id": "u"}),
        ))
        .await;
    answers.take(get("/v1/intelligence/mcis?save=true")).await;
    answers.take(get("/v1/intelligence/mcis/history")).await;
    answers.take(get("/v1/benchmark/scenarios")).await;
    answers
        .take(post(
            "/v1/benchmark/run",
            json!({"scenario": "retrieval_accuracy"}),
        ))
        .await;
    answers.take(get("/v2/analytics")).await;
    answers.take(get("/v1/stats")).await;
    answers
        .take(key(http.delete(s.mg(&format!("/v2/decisions/{d}")))))
        .await;
    answers
        .take(key(http.delete(
            s.mg(&format!("/v2/entities/{}", str_of(&acme["id"]))),
        )))
        .await;
    answers
        .take(http.get(s.mg("/v1/admin/export")).bearer_auth(&a.token))
        .await;
    answers.check(&s, "memgraph", 36).await;
}

#[tokio::test]
async fn typedb_answers_fit_the_document() {
    use crate::typedb::{api_token, bearer, clusters, free_cluster, url};
    let s = TestServer::start().await;
    let token = bearer(&s, "team-a", "space-a", "admin").await;
    let c = api_token(&s, "team-a", "space-a", "read").await;
    let http = &s.http;
    let mut answers = Answers::new(url(&s, ""));
    let auth = |r: reqwest::RequestBuilder| r.bearer_auth(&token);
    let at = |rest: &str| url(&s, &clusters("team-a", "space-a", rest));
    answers
        .take(http.post(url(&s, "/api/v1/auth")).header(
            "Authorization",
            format!("Basic {}:{}", c.client_id, c.client_secret),
        ))
        .await;
    answers
        .take(
            http.post(url(&s, "/api/v1/auth"))
                .header("Authorization", format!("Basic {}:wrong", c.client_id)),
        )
        .await;
    answers
        .take(auth(http.get(url(&s, "/api/v1/cluster-versions"))))
        .await;
    answers
        .take(
            http.get(url(&s, "/api/v1/cluster-versions"))
                .bearer_auth("nope"),
        )
        .await;
    answers
        .take(auth(http.post(at("/deploy")).json(&free_cluster("c1"))))
        .await;
    answers
        .take(auth(http.post(at("/deploy")).json(&free_cluster("c1"))))
        .await;
    answers.take(auth(http.get(at("")))).await;
    answers.take(auth(http.get(at("/c1")))).await;
    answers.take(auth(http.get(at("/nope")))).await;
    answers
        .take(auth(http.patch(at("/c1")).json(&json!({"id": "c2"}))))
        .await;
    answers
        .take(auth(http.post(at("/c2/clone")).json(&json!({"id": "c3"}))))
        .await;
    s.advance("default", std::time::Duration::from_secs(3600))
        .await;
    answers.take(auth(http.post(at("/c2/suspend")))).await;
    s.advance("default", std::time::Duration::from_secs(3600))
        .await;
    answers.take(auth(http.post(at("/c2/resume")))).await;
    answers.take(auth(http.delete(at("/c3")))).await;
    answers
        .take(auth(
            http.get(url(&s, "/api/org/team-a/projects/space-b/clusters")),
        ))
        .await;
    answers.check(&s, "typedb", 15).await;
}

#[tokio::test]
async fn dgraph_answers_fit_the_document() {
    use crate::dgraph::{account, dg, start};
    let s = start().await;
    let token = account(&s, "answers@example.com").await;
    let http = &s.http;
    let mut answers = Answers::new(dg(&s, ""));
    let auth = |r: reqwest::RequestBuilder| r.bearer_auth(&token);
    let code = answers
        .take(
            http.post(dg(&s, "/command-line/device-code"))
                .json(&json!({})),
        )
        .await;
    let tokens = answers
        .take(
            http.post(dg(&s, "/command-line/access-token"))
                .json(&json!({"deviceCode": code["device_code"]})),
        )
        .await;
    answers
        .take(
            http.post(dg(&s, "/command-line/access-token"))
                .json(&json!({})),
        )
        .await;
    answers
        .take(
            http.post(dg(&s, "/command-line/access-token"))
                .json(&json!({"deviceCode": "nope"})),
        )
        .await;
    let tokens = answers
        .take(
            http.post(dg(&s, "/command-line/access-token/refresh"))
                .json(&json!({"refreshToken": tokens["refresh_token"]})),
        )
        .await;
    answers
        .take(
            http.post(dg(&s, "/command-line/access-token/refresh"))
                .json(&json!({"refreshToken": "nope"})),
        )
        .await;
    answers
        .take(
            http.post(dg(&s, "/command-line/access-token/revoke"))
                .json(&json!({"refreshToken": tokens["refresh_token"]})),
        )
        .await;
    answers
        .take(auth(
            http.post(dg(&s, "/command-line/access-token/revoke-all"))
                .json(&json!({})),
        ))
        .await;
    answers
        .take(
            http.post(dg(&s, "/command-line/access-token/revoke-all"))
                .json(&json!({})),
        )
        .await;
    let created = answers
        .take(auth(
            http.post(dg(&s, "/deployments/create"))
                .json(&json!({"name": "answers", "zone": "us-east-1"})),
        ))
        .await;
    let uid = str_of(&created["uid"]);
    answers
        .take(auth(
            http.post(dg(&s, "/deployments/create")).body("not json"),
        ))
        .await;
    answers
        .take(auth(
            http.patch(dg(&s, &format!("/deployment/{uid}")))
                .json(&json!({"name": "renamed"})),
        ))
        .await;
    answers
        .take(auth(
            http.post(dg(&s, &format!("/deployments/{uid}/api-keys")))
                .json(&json!({"name": "k", "role": "admin"})),
        ))
        .await;
    answers
        .take(auth(
            http.post(dg(&s, &format!("/deployments/{uid}/api-keys")))
                .json(&json!({"role": "owner"})),
        ))
        .await;
    answers
        .take(auth(http.delete(dg(&s, &format!("/deployment/{uid}")))))
        .await;
    answers
        .take(auth(http.delete(dg(&s, "/deployment/0x999"))))
        .await;
    answers
        .take(auth(
            http.post(dg(&s, "/graphql"))
                .json(&json!({"query": "{ deployments { uid } }"})),
        ))
        .await;
    answers
        .take(
            http.post(dg(&s, "/graphql"))
                .json(&json!({"variables": {}})),
        )
        .await;
    answers.check(&s, "dgraph", 18).await;
}

//! One service's API as its descriptions state it: the REST operations of its OpenAPI document
//! and the GraphQL schemas of its GraphQL endpoints, read from what it publishes
//! (`Service::api_docs`), and the checks of a request against them.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::Method;
use axum::http::request::Parts;
use serde_json::Value;

use super::graphql::{self, Checks};
use super::openapi::Api;
use super::{Checked, Finding, ParsedJson, Probe, Rule, nearest};
use crate::apidocs::ApiDoc;
use crate::service::{GraphqlEndpoint, Service};

pub struct Model {
    service: &'static str,
    rest: Option<Api>,
    graphql: Vec<(GraphqlEndpoint, graphql::Schema)>,
    /// Every operation, REST first (in the document's order), then each schema's root fields.
    operations: Vec<Arc<str>>,
}

impl Model {
    pub fn of(service: &dyn Service) -> Model {
        let mut rest = None;
        let mut sdls = HashMap::new();
        for doc in service.api_docs() {
            match doc {
                ApiDoc::OpenApi { document, .. } => {
                    rest = serde_json::to_value(document())
                        .ok()
                        .map(|doc| Api::from_document(&doc));
                }
                ApiDoc::Sdl { name, sdl } => {
                    if let Some(text) = sdl() {
                        sdls.insert(name, text);
                    }
                }
            }
        }
        let graphql: Vec<(GraphqlEndpoint, graphql::Schema)> = service
            .graphql_endpoints()
            .into_iter()
            .filter_map(|endpoint| {
                let schema = graphql::Schema::parse(endpoint.schema, sdls.get(endpoint.schema)?)?;
                Some((endpoint, schema))
            })
            .collect();
        let mut operations: Vec<Arc<str>> = rest
            .iter()
            .flat_map(|api| api.operations.iter().map(|op| op.name.clone()))
            .collect();
        for (_, schema) in &graphql {
            for op in &schema.operations {
                if !operations.contains(op) {
                    operations.push(op.clone());
                }
            }
        }
        Model {
            service: service.name(),
            rest,
            graphql,
            operations,
        }
    }

    pub fn operations(&self) -> &[Arc<str>] {
        &self.operations
    }

    /// The REST API's routes, for routers labelled with the service's own name.
    fn rest(&self, label: &str) -> Option<&Api> {
        self.rest.as_ref().filter(|_| label == self.service)
    }

    fn graphql_at(&self, label: &str, template: &str) -> Option<&graphql::Schema> {
        self.graphql
            .iter()
            .find(|(e, _)| e.routes == label && e.path == template)
            .map(|(_, schema)| schema)
    }

    /// Whether checking a request to this route reads its body.
    pub fn needs_body(&self, label: &str, method: &Method, template: &str) -> bool {
        let rest = self
            .rest(label)
            .and_then(|api| api.find(method.as_str(), template))
            .is_some();
        rest || (*method == Method::POST && self.graphql_at(label, template).is_some())
    }

    /// Checks a request the router `label` matched to `template`.
    pub fn check(
        &self,
        label: &str,
        template: &str,
        parts: &Parts,
        body: Option<&Bytes>,
        probe: &Probe,
    ) -> (Checked, Option<ParsedJson>) {
        let method = parts.method.as_str();
        let mut checked = Checked::default();
        let mut json = None;
        let rest = self.rest(label);
        let operation = rest.and_then(|api| Some((api, api.find(method, template)?)));
        if let Some((api, op)) = operation {
            checked.operations.push(op.name.clone());
            let anonymous = probe.service.anonymous_access(&probe.config);
            let (findings, parsed) = api.check(op, parts, body, anonymous);
            checked.findings = findings;
            json = parsed.map(ParsedJson);
        }
        let endpoint = self.graphql_at(label, template);
        let graphql = endpoint.filter(|_| parts.method == Method::POST);
        if let Some(schema) = graphql {
            let mut checks = Checks::default();
            for request in graphql_requests(parts, body) {
                schema.check(&request, &probe.config.graphql, &mut checks);
            }
            checked.operations.extend(checks.operations);
            checked.findings.extend(checks.findings);
        }
        // A route of a described API with a method it does not document. (A route no
        // description covers, such as a Dgraph backend's `/query`, is not checked.)
        let described = rest.is_some() || endpoint.is_some();
        if operation.is_none() && graphql.is_none() && described {
            checked
                .findings
                .push(self.not_an_operation(label, method, template, true));
        }
        (checked, json)
    }

    /// A request no route of router `label` matched.
    pub fn unmatched(&self, label: &str, method: &str, path: &str) -> Checked {
        Checked {
            operations: Vec::new(),
            findings: vec![self.not_an_operation(label, method, path, false)],
        }
    }

    /// The finding of a method and path no operation has, with the nearest real one. `matched`:
    /// the path is a route template the router serves with other methods.
    fn not_an_operation(&self, label: &str, method: &str, path: &str, matched: bool) -> Finding {
        let mut routes: Vec<(&str, &str)> = self
            .rest(label)
            .map(|api| {
                api.operations
                    .iter()
                    .map(|op| (op.method.as_str(), op.template.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        routes.extend(
            self.graphql
                .iter()
                .filter(|(e, _)| e.routes == label)
                .map(|(e, _)| ("POST", e.path)),
        );
        let mut message = format!(
            "{method} {path} is not an operation of the {} API",
            self.service
        );
        let methods: Vec<&str> = routes
            .iter()
            .filter(|(_, t)| matched && *t == path)
            .map(|(m, _)| *m)
            .collect();
        if !methods.is_empty() {
            message.push_str(&format!(": {path} takes {}", methods.join(", ")));
        } else if let Some((m, t)) = nearest::route(method, path, routes.iter().copied()) {
            message.push_str(&format!("; did you mean {m} {t}?"));
        }
        Finding {
            operation: None,
            rule: Rule::UnknownRoute,
            message,
        }
    }
}

/// The GraphQL requests of a body: one object, a batch (an array of them), or a document sent as
/// `application/graphql`.
fn graphql_requests(parts: &Parts, body: Option<&Bytes>) -> Vec<Value> {
    let Some(body) = body else {
        return Vec::new();
    };
    let is_graphql = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim_start().starts_with("application/graphql"));
    if is_graphql {
        return vec![serde_json::json!({"query": String::from_utf8_lossy(body)})];
    }
    match serde_json::from_slice(body) {
        Ok(Value::Array(batch)) => batch,
        Ok(request @ Value::Object(_)) => vec![request],
        _ => Vec::new(),
    }
}

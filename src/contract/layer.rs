//! The layer that checks a request inside a service's router, where axum knows the route template
//! that matched (`MatchedPath`), before the handler runs.

use std::convert::Infallible;

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::Route;
use tower::{Layer, Service};

use super::{Checked, Probe, Rule};

/// Marks a request already checked by an outer router's layer.
#[derive(Clone)]
struct Claimed;

/// Checks every request to `router`'s routes against the service's API descriptions, and hands
/// the result back as a [`Checked`] response extension; a request no route matched is an unknown
/// route. `label` names the routes: the service's name for the router its OpenAPI document
/// describes (the front door applies it to every service's router), or the name its
/// `Service::graphql_endpoints` give a router of its own. A service whose router nests others
/// (as a fallback service) applies it to them itself, since the outer router cannot see their
/// routes; the outermost layer that sees a matched route checks it.
pub fn routes<S>(router: Router<S>, label: &'static str) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.layer(layer(label))
}

/// The layer [`routes`] adds, for a router that stacks it with layers of its own into one
/// `Router::layer` (each such call wraps every route in one more boxed route, copied at every
/// request).
pub fn layer(
    label: &'static str,
) -> impl Layer<
    Route,
    Service: Service<Request, Response = Response, Error = Infallible, Future: Send + 'static>
                 + Clone
                 + Send
                 + Sync
                 + 'static,
> + Clone
+ Send
+ Sync
+ 'static {
    axum::middleware::from_fn(move |req: Request, next: Next| check(label, req, next))
}

async fn check(label: &'static str, mut req: Request, next: Next) -> Response {
    let Some(probe) = req.extensions().get::<Probe>().cloned() else {
        return next.run(req).await;
    };
    if req.extensions().get::<Claimed>().is_some() {
        return next.run(req).await;
    }
    let Some(template) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
    else {
        let method = req.method().as_str().to_owned();
        let path = req.uri().path().to_owned();
        let mut response = next.run(req).await;
        if response.extensions().get::<Checked>().is_none() {
            let checked = probe.model.unmatched(label, &method, &path);
            response.extensions_mut().insert(checked);
        }
        return response;
    };
    req.extensions_mut().insert(Claimed);
    let (mut parts, body) = req.into_parts();
    // A body announced as too large is left to the handler, which answers it in the service's
    // own words; only a body that turns out too large while read is refused here.
    let too_large = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|length| length > probe.config.body_limit);
    let (body, bytes) = if !too_large && probe.model.needs_body(label, &parts.method, &template) {
        // Read whole before the handler, which reads it whole too: the check needs it, and
        // `--strict` must be able to refuse the request untouched.
        match axum::body::to_bytes(body, probe.config.body_limit).await {
            Ok(bytes) => (Body::from(bytes.clone()), Some(bytes)),
            Err(_) => return probe.service.error_response(StatusCode::PAYLOAD_TOO_LARGE),
        }
    } else {
        (body, None)
    };
    let (checked, json) = probe
        .model
        .check(label, &template, &parts, bytes.as_ref(), &probe);
    // An unknown route is answered by the service's own 404 or 405 already.
    let refuse = checked
        .findings
        .iter()
        .any(|f| f.rule != Rule::UnknownRoute);
    if probe.strict && refuse {
        let messages: Vec<String> = checked.findings.iter().map(|f| f.message.clone()).collect();
        let mut refused = probe.service.contract_refusal(&messages);
        refused.extensions_mut().insert(checked);
        return refused;
    }
    if let Some(json) = json {
        parts.extensions.insert(json);
    }
    let mut response = next.run(Request::from_parts(parts, body)).await;
    response.extensions_mut().insert(checked);
    response
}

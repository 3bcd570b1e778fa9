//! The emulator's own control API, under `/_offcloud` on the main listener (docs/design.md, "The
//! emulator's own control API"): health, info, reset (whole or per service), the clock, the
//! request journal, fault rules, state snapshots (`/state`), sessions (`/sessions`), fixtures,
//! the services' API descriptions, contract testing (`/coverage`, `/contract`,
//! `/provider-states`), and each service's provisioning routes (`/<service>`).

pub mod apidocs;
mod clock;
mod coverage;
pub mod faults;
pub mod fixtures;
pub mod guard;
pub mod journal;
mod provider_states;
pub mod redact;
mod routes;
pub mod sessions;
pub mod state;
mod tables;
pub mod ui;
mod violations;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;
use crate::control_error as error;
use crate::session::SessionName;

/// The path segment the control API lives under on the main listener.
pub const PREFIX: &str = "_offcloud";

pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/health", get(routes::health))
        .route("/info", get(routes::info))
        .route("/reset", post(routes::reset))
        .route("/clock", get(clock::get).post(clock::post))
        .route(
            "/requests",
            get(routes::requests).delete(routes::clear_requests),
        )
        .route(
            "/faults",
            get(routes::list_faults)
                .post(routes::add_fault)
                .delete(routes::clear_faults),
        )
        .route("/faults/{id}", axum::routing::delete(routes::remove_fault))
        .route("/openapi/{file}", get(apidocs::openapi))
        .route("/schema/{file}", get(apidocs::schema))
        .route("/state", get(state::get).put(state::put))
        .route("/sessions", get(sessions::list))
        .route("/sessions/{name}", axum::routing::delete(sessions::drop))
        .route("/fixtures", get(fixtures::list).post(fixtures::post))
        .route("/coverage", get(coverage::get).delete(coverage::clear))
        .route("/contract", get(violations::settings).post(violations::set))
        .route(
            "/contract/violations",
            get(violations::list).delete(violations::clear),
        )
        .route("/provider-states", post(provider_states::post))
        .merge(ui::router());
    for service in state.services.iter() {
        if let Some(provisioning) = service.control_router() {
            router = router.nest(&format!("/{}", service.name()), provisioning);
        }
    }
    router
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state)
}

/// The session a control request is about: `?session=NAME`, else the one the front door chose
/// (`X-Offcloud-Session` header or `/_session/NAME/` prefix), else `default`.
pub(crate) fn session_name(
    req: &axum::extract::Request,
) -> Result<SessionName, error::ControlError> {
    Ok(match session_param(req.uri())? {
        Some(name) => name,
        None => SessionName::of(req.extensions()),
    })
}

/// `?session=NAME` when given, validated.
fn session_param(uri: &axum::http::Uri) -> Result<Option<SessionName>, error::ControlError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(uri.query().unwrap_or(""))
        .map_err(|_| error::ControlError::bad_request("the query string is malformed"))?;
    match pairs.into_iter().find(|(k, _)| k == "session") {
        None => Ok(None),
        Some((_, name)) => SessionName::parse(&name).map(Some).ok_or_else(|| {
            error::ControlError::bad_request(&format!("invalid session name {name:?}"))
        }),
    }
}

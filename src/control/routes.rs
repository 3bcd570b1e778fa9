use axum::Json;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::config::Storage;
use crate::control::faults::NewRule;
use crate::control::journal::Filter;
use crate::control_error::{self as error, ControlError, Path};
use crate::service::Service;
use crate::session::SessionName;

/// Readiness: the default session's database answers.
pub async fn health(State(state): State<AppState>) -> Response {
    let db_ok = match state.sessions.get(&SessionName::default_session()).await {
        Ok(session) => crate::db::ping(session.db()).await,
        Err(_) => false,
    };
    if db_ok {
        Json(json!({"status": "healthy"})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unhealthy"})),
        )
            .into_response()
    }
}

pub async fn info(State(state): State<AppState>) -> Json<Value> {
    let config = &state.config;
    let listener_port = |service: &dyn Service| {
        state
            .listeners
            .iter()
            .find(|l| l.service == Some(service.name()))
            .map(|l| l.address.port())
    };
    let services: Vec<Value> = state
        .services
        .iter()
        .map(|s| {
            let mut hosts: Vec<String> = s.real_hosts().iter().map(|h| (*h).to_owned()).collect();
            hosts.push(format!("{}.localhost", s.name()));
            json!({
                "name": s.name(),
                "prefix": format!("/{}", s.name()),
                "port": listener_port(s.as_ref()),
                "hosts": hosts,
            })
        })
        .collect();
    let storage = match config.storage() {
        Ok(Storage::File(path)) => json!({"kind": "file", "path": path}),
        _ => json!({"kind": "memory"}),
    };
    let mut settings = json!({
        "bind": config.bind,
        "storage": storage,
        "body_limit": config.body_limit,
        "journal_size": config.journal_size,
        "log_format": format!("{:?}", config.log_format).to_lowercase(),
        "fixtures": config.fixtures,
        "signing_secret": if config.signing_secret.is_some() { "configured" } else { "generated per session" },
        "control_token": if config.control_token.is_some() { "configured" } else { "none" },
        "max_sessions": config.max_sessions,
        "max_live_sessions": config.max_live_sessions,
        "session_park_after": config.session_park_after,
        "session_evict_after": config.session_evict_after,
    });
    if let Value::Object(settings) = &mut settings {
        for service in state.services.iter() {
            // Durations are in seconds.
            settings.insert(service.name().to_owned(), service.settings(config));
        }
    }
    Json(json!({
        "name": "offcloud",
        "version": env!("CARGO_PKG_VERSION"),
        "services": services,
        "listeners": *state.listeners,
        "sessions": state.sessions.names(),
        "settings": settings,
    }))
}

#[derive(Deserialize)]
pub struct ResetQuery {
    session: Option<String>,
    service: Option<String>,
    #[serde(default)]
    all: bool,
}

/// Wipes the request's session (or `?session=NAME`, or every session with `?all=true`); with
/// `?service=NAME` only that service's tables, leaving the others, the signing keys and the clock.
/// Fixtures are applied again, then each service reset hears of it (`Service::after_reset`).
pub async fn reset(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<Value>, ControlError> {
    let query: ResetQuery = Query::try_from_uri(req.uri())
        .map(|Query(q)| q)
        .map_err(|e| ControlError::bad_request(&e.body_text()))?;
    let service = match &query.service {
        None => None,
        Some(name) => Some(state.services.by_name(name).ok_or_else(|| {
            ControlError::bad_request(&format!(
                "unknown service {name:?}: use {}",
                state.services.listed()
            ))
        })?),
    };
    let sessions = if query.all {
        state.sessions.opened().await?
    } else {
        let name = match query.session {
            Some(name) => SessionName::parse(&name).ok_or_else(|| {
                ControlError::bad_request(&format!("invalid session name {name:?}"))
            })?,
            None => SessionName::of(req.extensions()),
        };
        vec![state.sessions.get(&name).await?]
    };
    let mut names = Vec::with_capacity(sessions.len());
    for session in sessions {
        let name = SessionName::parse(session.name());
        match service {
            None => {
                session.reset().await?;
                state.fixtures.reapply(&session, None).await?;
                // Fault rules are session state too; the journal is not (it is the record of
                // what happened, cleared with `DELETE /_offcloud/requests`).
                if let Some(name) = &name {
                    state.faults.clear(name);
                }
            }
            Some(service) => {
                crate::db::wipe_service(session.db(), service.name())
                    .await
                    .map_err(crate::error::Internal::from)?;
                session.forget_principals();
                state
                    .fixtures
                    .reapply(&session, Some(service.name()))
                    .await?;
            }
        }
        if let Some(name) = &name {
            for reset in state.services.iter() {
                if service.is_none_or(|s| s.name() == reset.name()) {
                    reset.after_reset(&state, name).await;
                }
            }
        }
        names.push(session.name().to_owned());
    }
    names.sort();
    Ok(Json(match service {
        None => json!({ "reset": names }),
        Some(service) => json!({ "reset": names, "service": service.name() }),
    }))
}

/// `GET /_offcloud/requests`: the journal, filtered (see `journal::Filter`), oldest first.
pub async fn requests(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<Value>, ControlError> {
    let filter: Filter = Query::try_from_uri(req.uri())
        .map(|Query(f)| f)
        .map_err(|e| ControlError::bad_request(&e.body_text()))?;
    if let Some(service) = &filter.service
        && state.services.by_name(service).is_none()
    {
        return Err(ControlError::bad_request(&format!(
            "unknown service {service:?}: use {}",
            state.services.listed()
        )));
    }
    let entries = state.journal.list(&filter);
    Ok(Json(json!({ "requests": entries })))
}

#[derive(Deserialize)]
pub struct ClearQuery {
    session: Option<String>,
}

/// `DELETE /_offcloud/requests`: forgets every entry, or those of `?session=NAME`.
pub async fn clear_requests(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<Value>, ControlError> {
    let query: ClearQuery = Query::try_from_uri(req.uri())
        .map(|Query(q)| q)
        .map_err(|e| ControlError::bad_request(&e.body_text()))?;
    let session =
        match query.session {
            None => None,
            Some(name) => Some(SessionName::parse(&name).ok_or_else(|| {
                ControlError::bad_request(&format!("invalid session name {name:?}"))
            })?),
        };
    let cleared = state.journal.clear(session.as_ref());
    Ok(Json(json!({ "cleared": cleared })))
}

/// `POST /_offcloud/faults`: adds a rule to the request's session (or `?session=`).
pub async fn add_fault(
    State(state): State<AppState>,
    req: Request,
) -> Result<(StatusCode, Json<Value>), ControlError> {
    let session = super::session_name(&req)?;
    let body = error::body_bytes(req, 64 * 1024).await?;
    let rule: NewRule = serde_json::from_slice(&body)
        .map_err(|e| ControlError::bad_request(&format!("invalid fault: {e}")))?;
    let rule = state
        .faults
        .add(session, rule, &state.services)
        .map_err(|why| ControlError::bad_request(&why))?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// `GET /_offcloud/faults`: the session's rules, oldest first.
pub async fn list_faults(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<Value>, ControlError> {
    let session = super::session_name(&req)?;
    Ok(Json(json!({ "faults": state.faults.list(&session) })))
}

/// `DELETE /_offcloud/faults`: removes every rule of the session.
pub async fn clear_faults(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<Value>, ControlError> {
    let session = super::session_name(&req)?;
    Ok(Json(json!({ "removed": state.faults.clear(&session) })))
}

/// `DELETE /_offcloud/faults/{id}`.
pub async fn remove_fault(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Result<StatusCode, Response> {
    let session = super::session_name(&req).map_err(IntoResponse::into_response)?;
    if state.faults.remove(&session, &id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(error::response(
            StatusCode::NOT_FOUND,
            &format!("no fault {id:?} in session {:?}", session.as_str()),
        ))
    }
}

pub async fn not_found(req: Request) -> Response {
    error::not_found(&format!("/_offcloud{}", req.uri().path()))
}

pub async fn method_not_allowed(req: Request) -> Response {
    error::response(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!(
            "{} is not allowed on /_offcloud{}",
            req.method(),
            req.uri().path()
        ),
    )
}

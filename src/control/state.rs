//! `GET /_offcloud/state` exports the state as one JSON document, `PUT /_offcloud/state` replaces
//! the state with one (the document is described in `crate::snapshot`). `?session=NAME` limits
//! both to one session. Also used by `--state-file` at start and at shutdown.

use std::collections::BTreeMap;

use axum::extract::{Query, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::control_error::ControlError;
use crate::error::Internal;
use crate::session::{Session, SessionName};
use crate::snapshot::{self, Document, LoadError, SessionState};
use crate::{AppState, StartError};

#[derive(Deserialize)]
pub struct StateQuery {
    session: Option<String>,
}

fn only_session(req: &Request) -> Result<Option<SessionName>, ControlError> {
    let query: StateQuery = Query::try_from_uri(req.uri())
        .map(|Query(q)| q)
        .map_err(|e| ControlError::bad_request(&e.body_text()))?;
    query
        .session
        .map(|name| {
            SessionName::parse(&name)
                .ok_or_else(|| ControlError::bad_request(&format!("invalid session name {name:?}")))
        })
        .transpose()
}

/// `GET /_offcloud/state`: every open session, or `?session=NAME`.
pub async fn get(State(state): State<AppState>, req: Request) -> Result<Response, ControlError> {
    let only = only_session(&req)?;
    let document = export(&state, only.as_ref()).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        document.to_bytes(),
    )
        .into_response())
}

/// `PUT /_offcloud/state`: replaces the state with the document. Without `?session=`, the document
/// is the whole state: open sessions it does not name are emptied. With `?session=NAME`, the
/// document holds one session, which replaces NAME (whatever its name in the document: that is
/// how a session is copied into another).
pub async fn put(State(state): State<AppState>, req: Request) -> Result<Json, ControlError> {
    let only = only_session(&req)?;
    let body = crate::control_error::body_bytes(req, state.config.body_limit).await?;
    let document = Document::parse(&body).map_err(|why| ControlError::bad_request(&why))?;
    let scope = match only {
        Some(name) => Scope::One(name),
        None => Scope::Whole,
    };
    let imported = import(&state, document, scope).await.map_err(|e| match e {
        LoadError::Invalid(why) => ControlError::bad_request(&why),
        LoadError::Internal(e) => ControlError::from(e),
    })?;
    Ok(axum::Json(json!({
        "loaded": imported.loaded,
        "emptied": imported.emptied,
    })))
}

type Json = axum::Json<Value>;

/// The state of every open session, or of one.
pub async fn export(state: &AppState, only: Option<&SessionName>) -> Result<Document, Internal> {
    let sessions = match only {
        Some(name) => vec![state.sessions.get(name).await?],
        None => state.sessions.opened().await?,
    };
    let mut dumped = BTreeMap::new();
    for session in sessions {
        dumped.insert(session.name().to_owned(), snapshot::dump(&session).await?);
    }
    Ok(Document::new(dumped))
}

/// Which sessions an import rewrote.
pub struct Imported {
    pub loaded: Vec<String>,
    pub emptied: Vec<String>,
}

/// What an import replaces.
pub enum Scope {
    /// The document is the whole state: open sessions it does not name are emptied.
    Whole,
    /// Only the sessions the document names (a state file at start: other sessions keep their
    /// fixtures).
    Named,
    /// This session, from a document of one session.
    One(SessionName),
}

/// Replaces the state with a parsed document (see `put`), all or nothing; then sets the clocks,
/// drops what sessions cached about their old rows, and closes Dgraph listeners that lost their
/// deployment.
pub async fn import(
    state: &AppState,
    mut document: Document,
    scope: Scope,
) -> Result<Imported, LoadError> {
    let mut targets: Vec<(Session, Option<SessionState>)> = Vec::new();
    match scope {
        Scope::One(name) => {
            if document.sessions.len() != 1 {
                return Err(LoadError::Invalid(format!(
                    "with ?session= the document must hold exactly one session, it holds {}",
                    document.sessions.len()
                )));
            }
            let session_state = document.sessions.pop_first().map(|(_, s)| s);
            targets.push((open(state, &name).await?, session_state));
        }
        Scope::Whole | Scope::Named => {
            for (name, session_state) in std::mem::take(&mut document.sessions) {
                let name = SessionName::parse(&name)
                    .ok_or_else(|| LoadError::Invalid(format!("invalid session name {name:?}")))?;
                targets.push((open(state, &name).await?, Some(session_state)));
            }
            for session in state.sessions.opened().await? {
                if matches!(scope, Scope::Whole)
                    && !targets.iter().any(|(t, _)| t.name() == session.name())
                {
                    targets.push((session, None));
                }
            }
        }
    }
    let plan: Vec<(Session, Option<&SessionState>)> = targets
        .iter()
        .map(|(session, s)| (session.clone(), s.as_ref()))
        .collect();
    snapshot::load(&plan).await?;

    let mut imported = Imported {
        loaded: Vec::new(),
        emptied: Vec::new(),
    };
    for (session, session_state) in &targets {
        session.forget_cached();
        match session_state {
            Some(s) => {
                let offset = std::time::Duration::from_millis(s.clock_offset_ms);
                session.clock().set_offset(offset);
                imported.loaded.push(session.name().to_owned());
            }
            None => {
                session.clock().reset();
                imported.emptied.push(session.name().to_owned());
            }
        }
        if let Some(name) = SessionName::parse(session.name()) {
            for service in state.services.iter() {
                service.after_import(state, &name).await;
            }
        }
    }
    imported.loaded.sort();
    imported.emptied.sort();
    Ok(imported)
}

async fn open(state: &AppState, name: &SessionName) -> Result<Session, LoadError> {
    Ok(state.sessions.get(name).await?)
}

/// `--state-file`: loads it at start when it exists (replacing the sessions it names). A file that
/// cannot be read or loaded stops the start.
pub async fn load_file(state: &AppState) -> Result<(), StartError> {
    let config = &state.config;
    let Some(path) = &config.state_file else {
        if config.state_file_save {
            return Err(StartError::Config(
                "--state-file-save needs --state-file".into(),
            ));
        }
        return Ok(());
    };
    let refuse = |why: String| StartError::StateFile(path.clone(), why);
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        // Not there yet: the first run of a setup that saves at shutdown.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(refuse(e.to_string())),
    };
    let document = Document::parse(&bytes).map_err(refuse)?;
    let imported = import(state, document, Scope::Named)
        .await
        .map_err(|e| match e {
            LoadError::Invalid(why) => refuse(why),
            LoadError::Internal(e) => refuse(e.to_string()),
        })?;
    tracing::info!(file = %path.display(), sessions = ?imported.loaded, "state file loaded");
    Ok(())
}

/// `--state-file-save`: writes the state at shutdown, to a temporary file renamed over the old
/// one, so a crash mid-write never leaves half a document.
pub async fn save_file(state: &AppState) -> std::io::Result<()> {
    let config = &state.config;
    let (Some(path), true) = (&config.state_file, config.state_file_save) else {
        return Ok(());
    };
    let document = export(state, None)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut temporary = path.clone().into_os_string();
    temporary.push(".tmp");
    let temporary = std::path::PathBuf::from(temporary);
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(&document.to_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    };
    match write() {
        Ok(()) => {
            tracing::info!(file = %path.display(), "state saved");
            Ok(())
        }
        Err(e) => {
            tracing::error!(file = %path.display(), error = %e, "cannot save the state");
            let _ = std::fs::remove_file(&temporary);
            Err(e)
        }
    }
}

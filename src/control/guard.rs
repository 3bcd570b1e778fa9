//! Who may use the control API: the checks every request under `/_offcloud` passes before its
//! route runs, the dashboard's requests included (the page acts only through the control API).
//!
//! - With `--control-token`, every route wants `Authorization: Bearer TOKEN`, except the health
//!   route (Docker's and `offcloud healthcheck`'s probes) and the dashboard's static files (the
//!   page holds no state: it asks for the token, and sends it with every call it makes).
//! - A request that can change state (any method but GET, HEAD and OPTIONS) coming from a web
//!   page of another origin is refused, token or not: a page the browser shows from elsewhere
//!   could otherwise post a reset or a state import to a control API on localhost. Browsers send
//!   `Origin` with such requests; a request without one (curl, a test suite's client) is not a
//!   cross-site request.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use sha2::Digest;

use crate::config::Config;
use crate::control_error::{self, ControlError};

/// The control API's answer to a request it refuses, if it does. `path` is the path under
/// `/_offcloud`.
pub fn check(config: &Config, req: &Request, path: &str) -> Result<(), ControlError> {
    check_origin(req)?;
    check_token(config, req, path)
}

fn check_token(config: &Config, req: &Request, path: &str) -> Result<(), ControlError> {
    let Some(expected) = config.control_token.as_deref() else {
        return Ok(());
    };
    if is_public(req.method(), path) {
        return Ok(());
    }
    if bearer_token(req.headers()).is_some_and(|token| same_secret(token, expected)) {
        return Ok(());
    }
    let mut refused = control_error::response(
        StatusCode::UNAUTHORIZED,
        "the control API needs the token offcloud was started with (--control-token): \
         send it as `Authorization: Bearer TOKEN`",
    );
    refused.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"offcloud\""),
    );
    Err(ControlError::from_response(refused))
}

/// The health route, and the dashboard's page and files: nothing in them depends on state.
fn is_public(method: &Method, path: &str) -> bool {
    if !matches!(*method, Method::GET | Method::HEAD) {
        return false;
    }
    path == "/health"
        || path == "/ui"
        || path
            .strip_prefix("/ui/")
            .is_some_and(|file| !file.contains('/'))
}

fn check_origin(req: &Request) -> Result<(), ControlError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    let same = match (origin.to_str().ok().and_then(origin_authority), host) {
        (Some((scheme, authority)), Some(host)) => {
            normalized(scheme, authority) == normalized(scheme, host)
        }
        _ => false,
    };
    if same {
        return Ok(());
    }
    Err(ControlError::new(
        StatusCode::FORBIDDEN,
        &format!(
            "a request from the web page at {:?} cannot change the control API of another origin",
            origin.to_str().unwrap_or("(not text)")
        ),
    ))
}

/// `scheme` and `host[:port]` of an `Origin` (`null` and anything else is `None`).
fn origin_authority(origin: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = origin.split_once("://")?;
    if rest.is_empty() || rest.contains('/') {
        return None;
    }
    Some((scheme, rest))
}

/// `host[:port]` in lowercase, without the scheme's default port.
fn normalized(scheme: &str, authority: &str) -> String {
    let authority = authority.trim().to_ascii_lowercase();
    let default = match scheme {
        "http" => ":80",
        "https" => ":443",
        _ => "",
    };
    match authority.strip_suffix(default) {
        Some(bare) if !default.is_empty() => bare.to_owned(),
        _ => authority,
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Compares in time that does not depend on where the two differ.
fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (sha2::Sha256::digest(a), sha2::Sha256::digest(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |diff, (x, y)| diff | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, host: &str, origin: Option<&str>) -> Request {
        let mut builder = Request::builder()
            .method(method)
            .uri("/reset")
            .header(header::HOST, host);
        if let Some(origin) = origin {
            builder = builder.header(header::ORIGIN, origin);
        }
        builder.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn only_a_page_of_another_origin_is_refused() {
        let allowed = [
            ("POST", "localhost:4600", None),
            ("POST", "localhost:4600", Some("http://localhost:4600")),
            ("POST", "LOCALHOST:4600", Some("http://localhost:4600")),
            ("DELETE", "offcloud", Some("http://offcloud:80")),
            ("PUT", "offcloud:443", Some("https://offcloud")),
            ("GET", "localhost:4600", Some("http://evil.example")),
        ];
        for (method, host, origin) in allowed {
            assert!(
                check_origin(&request(method, host, origin)).is_ok(),
                "{method} {host} {origin:?}"
            );
        }
        let refused = [
            ("POST", "localhost:4600", Some("http://evil.example")),
            ("POST", "localhost:4600", Some("http://localhost:4601")),
            ("POST", "localhost:4600", Some("null")),
            ("DELETE", "localhost:4600", Some("http://localhost:4600/x")),
        ];
        for (method, host, origin) in refused {
            assert!(
                check_origin(&request(method, host, origin)).is_err(),
                "{method} {host} {origin:?}"
            );
        }
    }

    #[test]
    fn the_page_and_health_are_public_but_nothing_else() {
        assert!(is_public(&Method::GET, "/health"));
        assert!(is_public(&Method::GET, "/ui/"));
        assert!(is_public(&Method::GET, "/ui/app.js"));
        assert!(!is_public(&Method::GET, "/tables"));
        assert!(!is_public(&Method::GET, "/ui/x/y"));
        assert!(!is_public(&Method::POST, "/health"));
        assert!(!is_public(&Method::GET, "/state"));
    }
}

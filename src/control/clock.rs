//! `GET/POST /_offcloud/clock`: the session's virtual time, read and moved.
//!
//! Emulator choice: virtual time never goes behind real time. The services' lifecycles and token
//! expiries assume time only moves forward, and a clock set into the past would make tokens issued
//! "later" look older than tokens issued before. `set` to a moment before real time is a 400;
//! `POST /_offcloud/reset` brings a session's clock back to real time.
//!
//! Nor does it go past 9000-01-01T00:00:00Z ([`crate::clock::LATEST`]): token expiries and
//! lifecycle ends are computed by adding up to centuries to "now", and they must stay times that
//! can be held and written (year 9999 at most). A `set` or `advance` beyond it is a 400.

use std::time::Duration;

use axum::Json;
use axum::extract::{Request, State};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::session_name;
use crate::AppState;
use crate::clock::{Clock, LATEST};
use crate::control_error::ControlError;

pub async fn get(State(state): State<AppState>, req: Request) -> Result<Json<Value>, ControlError> {
    let name = session_name(&req)?;
    let session = state.sessions.get(&name).await?;
    Ok(Json(describe(session.name(), session.clock())))
}

/// `{"advance": "90s" | 90}` or `{"set": "<RFC 3339>"}`.
pub async fn post(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<Value>, ControlError> {
    let name = session_name(&req)?;
    let session = state.sessions.get(&name).await?;
    let body = crate::control_error::body_bytes(req, 64 * 1024).await?;
    let body: Value = serde_json::from_slice(&body).map_err(|e| {
        ControlError::bad_request(&format!(
            "the body must be JSON like {{\"advance\": \"90s\"}} or {{\"set\": \"2030-01-01T00:00:00Z\"}}: {e}"
        ))
    })?;
    let clock = session.clock();
    match (body.get("advance"), body.get("set")) {
        (Some(advance), None) => {
            let by = parse_advance(advance)?;
            if clock.offset().saturating_add(by) > crate::clock::latest_offset() {
                return Err(past_latest("advance"));
            }
            clock.advance(by);
        }
        (None, Some(Value::String(at))) => {
            let at = OffsetDateTime::parse(at, &Rfc3339).map_err(|e| {
                ControlError::bad_request(&format!("\"set\" must be an RFC 3339 time: {e}"))
            })?;
            if at > LATEST {
                return Err(past_latest("set"));
            }
            let ahead = at - OffsetDateTime::now_utc();
            let ahead = Duration::try_from(ahead).map_err(|_| {
                ControlError::bad_request(
                    "\"set\" must not be before real time: virtual time only moves forward",
                )
            })?;
            // Rounded up to the millisecond the clock counts in, so that "now" is never before `set`.
            clock.set_offset(Duration::from_millis(
                u64::try_from(ahead.as_micros().div_ceil(1000)).unwrap_or(u64::MAX),
            ));
        }
        (None, Some(_)) => {
            return Err(ControlError::bad_request(
                "\"set\" must be an RFC 3339 time string",
            ));
        }
        _ => {
            return Err(ControlError::bad_request(
                "give exactly one of \"advance\" (\"90s\", \"5m\", \"1h30m\" or seconds) and \"set\" (RFC 3339)",
            ));
        }
    }
    Ok(Json(describe(session.name(), clock)))
}

fn past_latest(field: &str) -> ControlError {
    ControlError::bad_request(&format!(
        "\"{field}\" must not move the clock past {}, the latest time it shows",
        LATEST.format(&Rfc3339).unwrap_or_default()
    ))
}

fn describe(session: &str, clock: &Clock) -> Value {
    let now = clock.now();
    let offset = clock.offset();
    json!({
        "session": session,
        "now": crate::clock::iso(now),
        "epoch_ms": now.unix_timestamp_nanos() / 1_000_000,
        "offset_ms": u64::try_from(offset.as_millis()).unwrap_or(u64::MAX),
        "offset_seconds": offset.as_secs_f64(),
    })
}

/// Ten years: far enough for any expiry, near enough that dates stay formattable.
const MAX_ADVANCE: Duration = Duration::from_secs(10 * 366 * 24 * 3600);

fn parse_advance(value: &Value) -> Result<Duration, ControlError> {
    let duration = match value {
        Value::Number(n) => n
            .as_f64()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .and_then(|s| Duration::try_from_secs_f64(s).ok()),
        Value::String(text) => parse_duration(text),
        _ => None,
    };
    let duration = duration.ok_or_else(|| {
        ControlError::bad_request(
            "\"advance\" must be a duration like \"90s\", \"5m\", \"1h30m\", \"250ms\", \"2d\", or a number of seconds (not negative)",
        )
    })?;
    if duration > MAX_ADVANCE {
        return Err(ControlError::bad_request(
            "\"advance\" may move the clock at most ten years at once",
        ));
    }
    Ok(duration)
}

/// `90s`, `5m`, `1h30m`, `250ms`, `2d`, `1.5h`; a bare number is seconds.
fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::try_from_secs_f64(seconds).ok())
            .flatten();
    }
    let mut total = 0f64;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds_per = match rest[..unit_end].trim() {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += number * seconds_per;
    }
    Duration::try_from_secs_f64(total).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("2d"), Some(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("15"), Some(Duration::from_secs(15)));
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("-5s"), None);
        assert_eq!(parse_duration("5 parsecs"), None);
        assert_eq!(parse_duration("s"), None);
    }
}

//! What happens to sessions nobody uses: after `--session-park-after` a session is parked (its
//! database closed and, in memory, kept as a compact image of a few KiB; see
//! `session.rs`), and after `--session-evict-after` an in-memory session is dropped with its state,
//! as `DELETE /_offcloud/sessions/NAME` drops one. A task of the server sweeps them every second,
//! and at once when more than `--max-live-sessions` are live: a live session holds a SQLite
//! connection and its database's pages (about 1.1 MiB in memory), so a burst of new sessions
//! would otherwise hold about a megabyte each until their idle time has passed.

use std::time::Duration;

use crate::AppState;
use crate::config::After;
use crate::session::SessionName;

/// How often the sweeper looks: idle times are counted in seconds, so a second is precise enough.
const PERIOD: Duration = Duration::from_secs(1);

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub parked: usize,
    pub evicted: usize,
}

/// Sweeps until `stop` turns true.
pub async fn run(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = state.sessions.crowded() => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
        sweep(&state).await;
    }
}

/// Evicts, then parks, whatever has been idle long enough; then returns to the system the memory
/// that sessions parked or dropped since the last sweep let go.
pub async fn sweep(state: &AppState) -> Swept {
    let mut swept = Swept::default();
    if let After(Some(idle)) = state.config.session_evict_after {
        for name in state.sessions.idle_in_memory(idle) {
            match evict(state, &name, idle).await {
                Ok(true) => swept.evicted += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(session = name.as_str(), error = %e, "evicting"),
            }
        }
    }
    if let After(Some(idle)) = state.config.session_park_after {
        swept.parked = state.sessions.park_idle(idle).await;
    }
    swept.parked += state.sessions.park_least_recent().await;
    if swept.parked + swept.evicted > 0 {
        tracing::debug!(
            parked = swept.parked,
            evicted = swept.evicted,
            "idle sessions swept"
        );
    }
    if state.sessions.take_freed() {
        release_freed_memory();
    }
    swept
}

/// Drops the session if it is still unused and idle, then tells the services (which close what
/// they opened for it) and forgets its fault rules.
async fn evict(state: &AppState, name: &SessionName, idle: Duration) -> std::io::Result<bool> {
    if state.sessions.drop_if_idle(name, idle).await?.is_none() {
        return Ok(false);
    }
    crate::control::sessions::after_drop(state, name).await;
    tracing::info!(session = name.as_str(), "idle session evicted");
    Ok(true)
}

/// Hands the memory of parked and dropped sessions back to the system: glibc keeps freed memory
/// in its arenas (one per thread that allocates) until told to trim, so without this
/// a thousand sessions created and dropped leave the process as big as when they were open.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only returns free pages of glibc's own heaps to the kernel; it
        // touches no memory in use and is safe to call from any thread at any time.
        unsafe {
            malloc_trim(0);
        }
    }
}

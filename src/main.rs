use std::process::ExitCode;

use offcloud::config::{Cli, Command, LogFormat};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // Before any thread exists, so that every allocation sees the same settings.
    allocator::tune();
    offcloud::db::configure_sqlite();
    let cli = Cli::parse_resolved();
    match cli.command {
        Some(Command::Healthcheck) => offcloud::healthcheck::run(&cli.config),
        Some(Command::Serve) | None => {
            match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime.block_on(serve(cli.config)),
                Err(e) => {
                    eprintln!("offcloud: cannot start the async runtime: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn serve(config: offcloud::Config) -> ExitCode {
    init_tracing(config.log_format);
    allocator::give_back_periodically();
    let shutdown = shutdown_signal();
    let server = match offcloud::Server::bind(config).await {
        Ok(server) => server,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    match server.run(shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Completes on Ctrl-C or SIGTERM (what `docker stop` sends). The SIGTERM handler is installed
/// when this is called, not when it is first polled: called before the listeners open, a
/// `docker stop` that comes as soon as the healthcheck passes is a clean stop, never the
/// signal's default (exit by the signal).
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let terminate = async move {
            match terminate {
                Some(mut signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => {},
            () = terminate => {},
        }
    }
}

/// glibc's malloc, told to give memory back. offcloud is a long-running shared fixture whose
/// memory comes in bursts that end: a password hash holds 19 MiB for tens of milliseconds, a
/// session's store lives for one CI job. glibc keeps what such bursts leave behind:
/// - it raises its mmap threshold to the size of the largest block freed (up to 32 MiB), after
///   which such blocks come from the heap and stay there when freed. A fixed threshold keeps
///   every block of 128 KiB or more in a mapping of its own, unmapped when freed.
/// - it only returns the free memory at the top of a heap. Small blocks freed in the middle (a
///   thousand dropped sessions leave 75 to 500 MB of them) stay until `malloc_trim`, which a
///   thread calls every few seconds: about a millisecond when there is nothing to return, tens
///   of milliseconds once when there are hundreds of megabytes.
///
/// Other platforms, and musl, keep their allocator's defaults.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod allocator {
    use std::ffi::c_int;
    use std::time::Duration;

    // From glibc's <malloc.h>.
    const M_MMAP_THRESHOLD: c_int = -3;
    const FIXED_MMAP_THRESHOLD: c_int = 128 * 1024;
    const TRIM_EVERY: Duration = Duration::from_secs(5);

    unsafe extern "C" {
        fn mallopt(param: c_int, value: c_int) -> c_int;
        fn malloc_trim(pad: usize) -> c_int;
    }

    pub fn tune() {
        // SAFETY: mallopt only sets malloc's parameters; it is called before any other thread.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, FIXED_MMAP_THRESHOLD);
        }
    }

    /// Starts the thread that returns free memory to the system every few seconds.
    pub fn give_back_periodically() {
        let _ = std::thread::Builder::new()
            .name("malloc-trim".into())
            .stack_size(64 * 1024)
            .spawn(|| {
                loop {
                    std::thread::sleep(TRIM_EVERY);
                    // SAFETY: malloc_trim takes malloc's own locks; any thread may call it.
                    unsafe {
                        malloc_trim(0);
                    }
                }
            });
    }
}
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod allocator {
    pub fn tune() {}
    pub fn give_back_periodically() {}
}

//! `offcloud healthcheck`: asks a running offcloud whether it is healthy, for a Docker
//! `HEALTHCHECK` in an image without curl. A few lines of HTTP/1.0 over a socket are all it takes.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use crate::config::{Config, PortSetting};

pub fn run(config: &Config) -> ExitCode {
    match check(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("offcloud healthcheck: {reason}");
            ExitCode::FAILURE
        }
    }
}

/// Uses the main listener's `/_offcloud/health`, or, when the main one is off, the health route
/// of the first service listener that has one (Memgraph's `/health`).
pub fn check(config: &Config) -> Result<(), String> {
    let fixed = |port: PortSetting| match port {
        PortSetting::Port(p) if p != 0 => Some(p),
        _ => None,
    };
    let service_health = || {
        crate::services::all().iter().find_map(|service| {
            let path = service.health_path()?;
            fixed(service.port(config)).map(|port| (port, path))
        })
    };
    let (port, path) = match fixed(config.port) {
        Some(port) => (port, "/_offcloud/health"),
        None => service_health().ok_or("no listener on a fixed port to check")?,
    };
    // A wildcard bind answers on loopback.
    let ip = match config.bind {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let address = SocketAddr::new(ip, port);
    let timeout = Duration::from_secs(3);
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .map_err(|e| format!("cannot connect to {address}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .map_err(|e| format!("cannot send to {address}: {e}"))?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| format!("no answer from {address}: {e}"))?;
    let status_line = response.lines().next().unwrap_or_default();
    if status_line.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        Err(format!("{address}{path} answered {status_line:?}"))
    }
}

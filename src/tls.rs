//! HTTPS for `--tls-port`: a listener that serves everything the main listener serves, for clients
//! that insist on `https://`.
//!
//! The certificate comes from `--tls-cert`/`--tls-key`, or is generated at every start for every
//! name a client may use to reach offcloud (loopback, the real host names, `<service>.localhost`, Dgraph
//! deployment hosts), signed by offcloud's own CA. That CA's certificate is written to a file the
//! user trusts once; its key is kept beside it, so the CA (and the trust) survives restarts.
//!
//! Certificates are dated by the wall clock, not a session clock: clients check them against
//! their own real clock, and the listener is shared by every session.

use std::fs;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::OffsetDateTime;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::StartError;
use crate::config::{Config, PortSetting, Storage};
use crate::service::Services;

/// The name of the HTTPS listener in `/_offcloud/info` and the start-up log.
pub const LISTENER_NAME: &str = "tls";

/// File name of the generated CA's certificate when `--tls-ca` is not given.
pub const DEFAULT_CA_FILE: &str = "offcloud-ca.pem";

/// A TLS handshake that takes longer than this is dropped, so a silent client holds nothing.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTPS listener, bound but not serving yet.
pub struct Tls {
    listener: TcpListener,
    address: SocketAddr,
    config: Arc<ServerConfig>,
}

impl Tls {
    /// Binds `--tls-port` and prepares its certificate; `None` when the port is off.
    pub async fn bind(config: &Config, services: &Services) -> Result<Option<Tls>, StartError> {
        let PortSetting::Port(port) = config.tls_port else {
            return Ok(None);
        };
        let server_config = server_config(config, services).map_err(StartError::Config)?;
        let address = SocketAddr::new(config.bind, port);
        let listener = TcpListener::bind(address)
            .await
            .map_err(|e| StartError::Bind(address, e))?;
        let address = listener
            .local_addr()
            .map_err(|e| StartError::Bind(address, e))?;
        Ok(Some(Tls {
            listener,
            address,
            config: server_config,
        }))
    }

    /// The bound address (with the port chosen when --tls-port is 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The certificate and settings this listener serves with, for the listeners that also
    /// speak TLS (Dgraph backends' ports, see [`DualListener`]).
    pub fn server_config(&self) -> Arc<ServerConfig> {
        self.config.clone()
    }

    /// The listener to hand to `axum::serve`: connections come out of it already decrypted.
    pub fn into_listener(self) -> TlsListener {
        let (tx, incoming) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(self.config);
        let accepting = tokio::spawn(accept_loop(self.listener, acceptor, tx));
        TlsListener {
            local: self.address,
            incoming,
            accepting,
        }
    }
}

/// Accepts TCP connections and runs each handshake in its own task, so a slow client never holds
/// up the others; finished handshakes go to the [`TlsListener`].
async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: wait instead of spinning (as axum does).
                tracing::debug!("tls accept error: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = tx.send((tls, peer)).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, "tls handshake failed: {e}"),
                Err(_) => tracing::debug!(%peer, "tls handshake timed out"),
            }
        });
    }
}

/// Connections that finished their TLS handshake, as an `axum::serve` listener.
pub struct TlsListener {
    local: SocketAddr,
    incoming: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    accepting: tokio::task::JoinHandle<()>,
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        // axum drops the listener when it stops accepting: close the port with it.
        self.accepting.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.incoming.recv().await {
            Some(connection) => connection,
            // The accept loop only ends when aborted, i.e. after this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// The rustls configuration: the given certificate, or one generated for offcloud's names.
fn server_config(config: &Config, services: &Services) -> Result<Arc<ServerConfig>, String> {
    let (chain, key) = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => load_pem(cert, key)?,
        (None, None) => generate(&ca_path(config), certificate_names(config.bind, services))?,
        _ => return Err("--tls-cert and --tls-key go together: give both or neither".into()),
    };
    // The provider is named rather than taken from the process default, so another crate
    // enabling a second rustls provider cannot make this ambiguous.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("tls: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("tls: the certificate does not fit its key: {e}"))?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(server))
}

fn load_pem(
    cert: &Path,
    key: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("--tls-cert {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "--tls-cert {}: no certificate in the file",
            cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("--tls-key {}: {e}", key.display()))?;
    Ok((chain, key))
}

/// Where the generated CA's certificate goes: `--tls-ca`, else beside the database, else the
/// working directory. Its key goes beside it with the extension `.key`.
pub fn ca_path(config: &Config) -> PathBuf {
    if let Some(path) = &config.tls_ca {
        return path.clone();
    }
    match config.storage() {
        Ok(Storage::File(db)) => match db.parent() {
            Some(dir) => dir.join(DEFAULT_CA_FILE),
            None => PathBuf::from(DEFAULT_CA_FILE),
        },
        _ => PathBuf::from(DEFAULT_CA_FILE),
    }
}

/// The names the generated certificate is valid for.
pub fn certificate_names(bind: IpAddr, services: &Services) -> Vec<String> {
    let mut names: Vec<String> = ["localhost", "127.0.0.1", "::1"]
        .into_iter()
        .map(String::from)
        .collect();
    for service in services.iter() {
        // Each `<service>.localhost` by name: clients refuse a wildcard over a single label
        // (`*.localhost`), as they would `*.com`.
        names.push(format!("{}.localhost", service.name()));
        names.extend(service.real_hosts().iter().map(|h| h.to_string()));
        // Hosts of its own resources (Dgraph's deployments).
        names.extend(service.certificate_names());
    }
    if !bind.is_unspecified() && !bind.is_loopback() {
        names.push(bind.to_string());
    }
    names
}

/// A leaf certificate for `names` ([`certificate_names`]), signed by the CA at `ca_path`
/// (created, or loaded from its key, as needed).
fn generate(
    ca_path: &Path,
    names: Vec<String>,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let ca = load_or_create_ca(ca_path)?;
    let now = OffsetDateTime::now_utc();
    let mut params =
        CertificateParams::new(names).map_err(|e| format!("tls: certificate names: {e}"))?;
    params.distinguished_name = name("offcloud");
    params.not_before = now - time::Duration::days(1);
    // Under 398 days: what browsers and Apple clients accept for a leaf.
    params.not_after = now + time::Duration::days(397);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().map_err(|e| format!("tls: generating a key: {e}"))?;
    let cert = params
        .signed_by(&key, &ca)
        .map_err(|e| format!("tls: signing the certificate: {e}"))?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((vec![cert.der().clone()], key))
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "offcloud");
    dn.push(DnType::CommonName, common_name);
    dn
}

/// The CA's parameters. An issuer is its name and key, so a CA rebuilt from a kept key signs
/// certificates that the CA file written at an earlier start still verifies.
fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name("offcloud development CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(3650);
    params
}

/// The CA key's file: the certificate's path with the extension `.key`.
pub fn ca_key_path(ca_path: &Path) -> PathBuf {
    ca_path.with_extension("key")
}

fn load_or_create_ca(ca_path: &Path) -> Result<Issuer<'static, KeyPair>, String> {
    let key_path = ca_key_path(ca_path);
    let kept_key = match fs::read_to_string(&key_path) {
        Ok(pem) => Some(
            KeyPair::from_pem(&pem)
                .map_err(|e| format!("tls: CA key {}: {e}", key_path.display()))?,
        ),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("tls: CA key {}: {e}", key_path.display())),
    };
    let params = ca_params();
    let (key, new_key) = match kept_key {
        Some(key) => (key, false),
        None => {
            let key = KeyPair::generate().map_err(|e| format!("tls: generating a key: {e}"))?;
            write_private(&key_path, &key.serialize_pem())?;
            (key, true)
        }
    };
    // A kept key keeps the certificate the user already trusts; write one only when it is new
    // or gone.
    if new_key || !ca_path.exists() {
        let cert = params
            .self_signed(&key)
            .map_err(|e| format!("tls: creating the CA: {e}"))?;
        fs::write(ca_path, cert.pem())
            .map_err(|e| format!("tls: writing the CA to {}: {e}", ca_path.display()))?;
        tracing::info!(
            "wrote offcloud's CA certificate to {}: trust it to reach the HTTPS listener",
            ca_path.display()
        );
    }
    Ok(Issuer::new(params, key))
}

/// Writes a secret readable by its owner only.
fn write_private(path: &Path, contents: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| format!("tls: creating {}: {e}", dir.display()))?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| format!("tls: writing {}: {e}", path.display()))?;
    io::Write::write_all(&mut file, contents.as_bytes())
        .map_err(|e| format!("tls: writing {}: {e}", path.display()))
}

/// A listener that answers HTTPS and plain HTTP on one port, telling them apart by the first byte
/// a client sends (0x16 opens a TLS handshake). Dgraph backends' ports are such: the
/// slash-graphql CLI forces `https://` for `deploy-backend` and `-e <uid>`, while users and the
/// CLI's `-e http://...` form speak plain HTTP to the same `url`.
///
/// Handshakes run in tasks the listener owns, so dropping it closes the port at once (the next
/// deployment may need it straight away).
pub struct DualListener {
    listener: TcpListener,
    local: SocketAddr,
    acceptor: TlsAcceptor,
    handshakes: tokio::task::JoinSet<Option<(MaybeTls, SocketAddr)>>,
}

impl DualListener {
    pub fn new(listener: TcpListener, config: Arc<ServerConfig>) -> io::Result<DualListener> {
        Ok(DualListener {
            local: listener.local_addr()?,
            listener,
            acceptor: TlsAcceptor::from(config),
            handshakes: tokio::task::JoinSet::new(),
        })
    }
}

/// Whether a connection opens with a TLS handshake, and the connection as it should be read.
async fn sniff(stream: TcpStream, acceptor: TlsAcceptor) -> Option<MaybeTls> {
    let mut first = [0u8; 1];
    let peeked = tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.peek(&mut first)).await;
    match peeked {
        Ok(Ok(1)) if first[0] == 0x16 => {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => Some(MaybeTls::Tls(Box::new(tls))),
                Ok(Err(e)) => {
                    tracing::debug!("tls handshake failed: {e}");
                    None
                }
                Err(_) => None,
            }
        }
        Ok(Ok(1)) => Some(MaybeTls::Plain(stream)),
        // Closed, failed or silent before its first byte.
        _ => None,
    }
}

impl axum::serve::Listener for DualListener {
    type Io = MaybeTls;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let acceptor = self.acceptor.clone();
                        self.handshakes
                            .spawn(async move { sniff(stream, acceptor).await.map(|io| (io, peer)) });
                    }
                    Err(e) => {
                        tracing::debug!("accept error: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                Some(done) = self.handshakes.join_next() => {
                    if let Ok(Some(connection)) = done {
                        return connection;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// A connection of a [`DualListener`]: plain or decrypted.
pub enum MaybeTls {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl tokio::io::AsyncRead for MaybeTls {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => std::pin::Pin::new(s).poll_read(cx, buf),
            MaybeTls::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl tokio::io::AsyncWrite for MaybeTls {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            MaybeTls::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => std::pin::Pin::new(s).poll_flush(cx),
            MaybeTls::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => std::pin::Pin::new(s).poll_shutdown(cx),
            MaybeTls::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_certificate_names_every_way_in() {
        let services = crate::services::all();
        let names = certificate_names("0.0.0.0".parse().unwrap(), &services);
        for wanted in [
            "localhost",
            "memgraph.localhost",
            "dgraph.localhost",
            "127.0.0.1",
            "::1",
            "api.memgraph.ai",
            "cloud.typedb.com",
            "data.pro.hasura.io",
            "cerebro.cloud.dgraph.io",
            "*.dgraph.localhost",
            "*.us-east-1.aws.cloud.dgraph.io",
            "*.us-west-2.aws.cloud.dgraph.io",
        ] {
            assert!(names.iter().any(|n| n == wanted), "{wanted} missing");
        }
        assert!(!names.iter().any(|n| n == "0.0.0.0"));
        let bound = certificate_names("10.1.2.3".parse().unwrap(), &services);
        assert!(bound.iter().any(|n| n == "10.1.2.3"));
    }

    #[test]
    fn the_ca_key_lives_beside_its_certificate() {
        assert_eq!(
            ca_key_path(Path::new("/data/offcloud-ca.pem")),
            PathBuf::from("/data/offcloud-ca.key")
        );
    }
}

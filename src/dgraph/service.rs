//! What Cerebro does, shared by its GraphQL API and the CLI's REST routes: tokens, and creating,
//! changing and deleting deployments.

use base64::Engine;
use time::OffsetDateTime;

use super::backends;
use super::model::{
    Account, CerebroClaims, DEPLOYMENT_MODES, DEPLOYMENT_TYPES, Deployment, DeploymentClaims,
    SIZES, go_time, new_uid,
};
use super::store::{Store, WriteError};
use crate::AppState;
use crate::auth::jwt;
use crate::clock::iso;
use crate::error::Internal;
use crate::session::SessionName;

const CEREBRO_KEY: &str = "dgraph.cerebro";
pub const DEPLOYMENT_KEY: &str = "dgraph.deployment";
pub const EXPORT_KEY: &str = "dgraph.export";

/// Deployment tokens live as long as the deployment (they stop working when it is deleted).
const DEPLOYMENT_TOKEN_YEARS: i64 = 10;

/// The final lambda script must stay under 500 KB on Dgraph Cloud (spec §4.9).
const MAX_LAMBDA_BYTES: usize = 500 * 1024;

/// Why a Cerebro operation was refused; each front (GraphQL, REST) words it in its own shape.
#[derive(Debug)]
pub enum Refusal {
    NotFound(String),
    Invalid(String),
    Internal(Internal),
}

impl From<Internal> for Refusal {
    fn from(e: Internal) -> Self {
        Refusal::Internal(e)
    }
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::NotFound(m) | Refusal::Invalid(m) => m.clone(),
            Refusal::Internal(e) => {
                e.log();
                "internal error".to_owned()
            }
        }
    }
}

/// One request's view of Dgraph: its session's store, the settings and the shared registry.
#[derive(Clone)]
pub struct Cerebro {
    pub store: Store,
    pub state: AppState,
    pub session: SessionName,
}

impl Cerebro {
    pub fn now(&self) -> OffsetDateTime {
        self.store.session().clock().now()
    }

    pub fn public_host(&self) -> &str {
        &self.state.config.dgraph.public_host
    }

    // --- Cerebro tokens ---

    pub async fn issue_token(&self, account: &Account) -> Result<String, Internal> {
        let now = self.now().unix_timestamp();
        let ttl = i64::try_from(self.state.config.dgraph.token_ttl.0.as_secs()).unwrap_or(i64::MAX);
        let claims = CerebroClaims {
            sub: account.id.clone(),
            email: account.email.clone(),
            iat: now,
            exp: now.saturating_add(ttl),
        };
        let key = self.store.session().signing_key(CEREBRO_KEY).await?;
        jwt::sign(&claims, &key)
    }

    pub fn token_ttl_secs(&self) -> u64 {
        self.state.config.dgraph.token_ttl.0.as_secs()
    }

    /// The account a bearer token belongs to, while the token is valid and the account exists.
    pub async fn account_of_token(&self, token: &str) -> Result<Option<Account>, Internal> {
        let key = self.store.session().signing_key(CEREBRO_KEY).await?;
        let now = self.now().unix_timestamp();
        match jwt::verify::<CerebroClaims>(token, &key, now) {
            Some(claims) => self.store.account(&claims.sub).await,
            None => Ok(None),
        }
    }

    /// The deployment's `jwtToken`: the same on every read, so it is derived, not stored.
    pub async fn deployment_token(&self, d: &Deployment) -> Result<String, Internal> {
        let iat = super::model::parse_iso(&d.created_at)
            .map(|t| t.unix_timestamp())
            .unwrap_or(0);
        let claims = DeploymentClaims {
            deployment: d.uid.clone(),
            iat,
            exp: iat + DEPLOYMENT_TOKEN_YEARS * 365 * 86_400,
        };
        let key = self.store.session().signing_key(DEPLOYMENT_KEY).await?;
        jwt::sign(&claims, &key)
    }

    // --- deployments ---

    /// The deployments an account sees, each with a live data-plane listener.
    pub async fn visible_deployments(&self, account: &Account) -> Result<Vec<Deployment>, Refusal> {
        let mut list = self.store.visible_deployments(&account.id).await?;
        for d in &mut list {
            self.relisten(d).await?;
        }
        Ok(list)
    }

    /// Gives a deployment its listener back after a restart (see `backends::ensure`).
    async fn relisten(&self, d: &mut Deployment) -> Result<(), Refusal> {
        let port = backends::ensure(&self.state, &self.session, &d.uid, d.port)
            .await
            .map_err(Refusal::Invalid)?;
        if port.map(i64::from) != d.port {
            self.store.set_port(&d.uid, port).await?;
            d.port = port.map(i64::from);
        }
        Ok(())
    }

    pub async fn deployment_of(&self, account: &Account, uid: &str) -> Result<Deployment, Refusal> {
        let mut d = self
            .store
            .visible_deployment(&account.id, uid)
            .await?
            .ok_or_else(|| Refusal::NotFound(format!("deployment {uid} not found")))?;
        self.relisten(&mut d).await?;
        Ok(d)
    }

    pub async fn create_deployment(
        &self,
        account: &Account,
        new: NewDeployment,
    ) -> Result<Deployment, Refusal> {
        let name = new.name.trim().to_owned();
        if name.is_empty() {
            return Err(Refusal::Invalid("name is required".into()));
        }
        let deployment_type = new.deployment_type.unwrap_or_else(|| "free".into());
        one_of("deploymentType", &deployment_type, DEPLOYMENT_TYPES)?;
        let mode = new.deployment_mode.unwrap_or_else(|| "graphql".into());
        check_mode(&mode, &deployment_type)?;
        if let Some(size) = &new.size {
            one_of("size", size, SIZES)?;
        }
        let zone = new.zone.filter(|z| !z.trim().is_empty());
        let zone = zone.unwrap_or_else(|| "us-west-2".into());
        if !is_label(&zone) {
            return Err(Refusal::Invalid(format!("invalid zone {zone:?}")));
        }
        if let Some(org) = new.organization_uid.as_deref().filter(|o| !o.is_empty()) {
            self.organization_check(account, org).await?;
        }
        let subdomain = self.pick_subdomain(new.subdomain.as_deref(), &name).await?;
        let now = self.now();
        let ready = now + self.state.config.dgraph.deployment_creation.0;
        let mut deployment = Deployment {
            uid: new_uid(),
            owner: account.id.clone(),
            organization_uid: new.organization_uid.filter(|o| !o.is_empty()),
            name,
            zone,
            subdomain,
            port: None,
            deployment_mode: mode,
            deployment_type,
            size: new.size,
            lambda_script: String::new(),
            tenant_id: 0,
            gql_schema: None,
            created_at: iso(now),
            ready_at: iso(ready),
        };
        match self.store.insert_deployment(&deployment).await {
            Ok(()) => {}
            Err(WriteError::Taken) => {
                return Err(Refusal::Invalid(format!(
                    "subdomain {} is already taken",
                    deployment.subdomain
                )));
            }
            Err(WriteError::Internal(e)) => return Err(e.into()),
        }
        match backends::open(&self.state, &self.session, &deployment.uid).await {
            Ok(port) => {
                if port.is_some() {
                    self.store.set_port(&deployment.uid, port).await?;
                    deployment.port = port.map(i64::from);
                }
                Ok(deployment)
            }
            Err(message) => {
                // No half-made backend: without its listener it is not created.
                self.store.delete_deployment(&deployment.uid).await?;
                Err(Refusal::Invalid(message))
            }
        }
    }

    /// The subdomain asked for, or the slugified name (spec §4.5), made unique with a suffix.
    async fn pick_subdomain(&self, wanted: Option<&str>, name: &str) -> Result<String, Refusal> {
        if let Some(wanted) = wanted.filter(|w| !w.is_empty()) {
            if !is_label(wanted) {
                return Err(Refusal::Invalid(format!(
                    "invalid subdomain {wanted:?}: use lowercase letters, digits and '-'"
                )));
            }
            if self.store.subdomain_taken(wanted).await? {
                return Err(Refusal::Invalid(format!(
                    "subdomain {wanted} is already taken"
                )));
            }
            return Ok(wanted.to_owned());
        }
        let mut slug = slugify(name);
        if slug.is_empty() {
            slug = "backend".into();
        }
        let mut candidate = slug.clone();
        while self.store.subdomain_taken(&candidate).await? {
            candidate = format!("{slug}-{}", &new_uid()[2..6]);
        }
        Ok(candidate)
    }

    pub async fn update_deployment(
        &self,
        account: &Account,
        uid: &str,
        patch: DeploymentPatch,
    ) -> Result<(), Refusal> {
        let deployment = self.deployment_of(account, uid).await?;
        if let Some(name) = &patch.name
            && name.trim().is_empty()
        {
            return Err(Refusal::Invalid("name must not be empty".into()));
        }
        if let Some(mode) = &patch.deployment_mode {
            check_mode(mode, &deployment.deployment_type)?;
        }
        let org = patch.organization_uid.as_deref().filter(|o| !o.is_empty());
        if let Some(org) = org {
            self.organization_check(account, org).await?;
        }
        self.store
            .update_deployment(
                uid,
                patch.name.as_deref().map(str::trim),
                patch.deployment_mode.as_deref(),
                org,
            )
            .await?;
        if let Some(script) = patch.lambda_script {
            self.update_lambda(&deployment, &script).await?;
        }
        Ok(())
    }

    pub async fn delete_deployment(&self, account: &Account, uid: &str) -> Result<(), Refusal> {
        let deployment = self.deployment_of(account, uid).await?;
        self.store.delete_deployment(&deployment.uid).await?;
        backends::close(&self.state, &self.session, &deployment.uid).await;
        Ok(())
    }

    /// Stores a base64 lambda script (`""` deletes it) and writes the lambda server's log lines.
    pub async fn update_lambda(&self, d: &Deployment, script: &str) -> Result<(), Refusal> {
        let script = script.trim();
        let now = self.now();
        let mut logs = Vec::new();
        if script.is_empty() {
            logs.push((iso(now), format!("{} Lambda script removed", go_time(now))));
        } else {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(script)
                .map_err(|_| Refusal::Invalid("lambdaScript must be base64-encoded".into()))?;
            if decoded.len() > MAX_LAMBDA_BYTES {
                return Err(Refusal::Invalid(
                    "lambda script is larger than the 500 KB limit".into(),
                ));
            }
            // What the lambda server prints when it restarts with a new script (spec §4.8).
            logs.push((
                iso(now),
                format!(
                    "{} Loaded lambda script ({} bytes)",
                    go_time(now),
                    decoded.len()
                ),
            ));
            logs.push((
                iso(now),
                format!("{} Server Listening on port 8686!", go_time(now)),
            ));
        }
        self.store.set_lambda(&d.uid, script, &logs).await?;
        Ok(())
    }

    async fn organization_check(&self, account: &Account, org: &str) -> Result<(), Refusal> {
        match self.store.organization_of(&account.id, org).await? {
            Some(_) => Ok(()),
            None => Err(Refusal::NotFound(format!("organization {org} not found"))),
        }
    }
}

/// The fields of a new deployment, from GraphQL `NewDeployment` or the CLI's REST body.
#[derive(Debug, Default)]
pub struct NewDeployment {
    pub name: String,
    pub zone: Option<String>,
    pub subdomain: Option<String>,
    pub deployment_type: Option<String>,
    pub deployment_mode: Option<String>,
    pub organization_uid: Option<String>,
    pub size: Option<String>,
}

#[derive(Debug, Default)]
pub struct DeploymentPatch {
    pub name: Option<String>,
    pub deployment_mode: Option<String>,
    pub organization_uid: Option<String>,
    pub lambda_script: Option<String>,
}

fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), Refusal> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(Refusal::Invalid(format!(
            "invalid {field} {value:?}: expected one of {}",
            allowed.join(", ")
        )))
    }
}

/// Read-Only and Flexible modes are for dedicated backends only (spec §5.2, schema-modes).
fn check_mode(mode: &str, deployment_type: &str) -> Result<(), Refusal> {
    one_of("deploymentMode", mode, DEPLOYMENT_MODES)?;
    if mode != "graphql" && deployment_type != "dedicated" {
        return Err(Refusal::Invalid(format!(
            "deploymentMode {mode} is only available on dedicated backends"
        )));
    }
    Ok(())
}

/// A DNS label: lowercase letters, digits and inner hyphens, 1 to 63 characters.
pub(crate) fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub(crate) fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    slug.chars()
        .take(40)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_slugify_into_subdomains() {
        assert_eq!(slugify("My New Deployment"), "my-new-deployment");
        assert_eq!(slugify("  Hello,  World!! "), "hello-world");
        assert_eq!(slugify("!!!"), "");
        assert!(is_label("polished-violet"));
        assert!(!is_label("Bad_Label"));
    }
}

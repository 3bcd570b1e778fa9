//! What Cerebro does, shared by its GraphQL API and the CLI's REST routes: tokens, and listing,
//! creating, changing and deleting deployments.

use base64::Engine;
use time::OffsetDateTime;

use super::backends;
use super::error::{ApiError, Result};
use super::model::{
    Account, CerebroClaims, DEPLOYMENT_MODES, DEPLOYMENT_TYPES, Deployment, DeploymentClaims,
    DeploymentOut, DeploymentPatch, NewDeployment, SIZES, go_time, new_uid,
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

/// The final lambda script must stay under 500 KB on Dgraph Cloud (docs/spec/dgraph.md §4.9).
const MAX_LAMBDA_BYTES: usize = 500 * 1024;

/// One request's view of Dgraph: its session's store, the settings and the shared registry.
#[derive(Clone)]
pub struct Cerebro {
    pub store: Store,
    pub state: AppState,
    pub session: SessionName,
}

/// What a list of deployments works out, from the fields of `Deployment` it selects: the
/// columns it reads, and whether it needs a port for `url` (bound if the backend has none yet)
/// and a signature for `jwtToken`. A list of `uid name` reads two columns and nothing else.
#[derive(Debug, Clone)]
pub struct Wanted {
    pub columns: Vec<&'static str>,
    pub url: bool,
    pub jwt_token: bool,
}

impl Wanted {
    /// From the GraphQL names of the selected fields.
    pub fn of<'f>(fields: impl IntoIterator<Item = &'f str>) -> Wanted {
        let mut wanted = Wanted {
            columns: vec!["uid"],
            url: false,
            jwt_token: false,
        };
        for field in fields {
            let columns: &[&'static str] = match field {
                "name" => &["name"],
                "zone" => &["zone"],
                "subdomain" => &["subdomain"],
                "url" => {
                    wanted.url = true;
                    &["port", "subdomain", "zone"]
                }
                "owner" => &["owner"],
                "jwtToken" => {
                    wanted.jwt_token = true;
                    &["created_at"]
                }
                "deploymentMode" => &["deployment_mode"],
                "deploymentType" => &["deployment_type"],
                "lambdaScript" => &["lambda_script"],
                "tenantID" => &["tenant_id"],
                "size" => &["size"],
                "organizationUID" => &["organization_uid"],
                _ => &[],
            };
            for column in columns {
                if !wanted.columns.contains(column) {
                    wanted.columns.push(column);
                }
            }
        }
        wanted
    }

    /// Everything, as a create answers.
    pub fn all() -> Wanted {
        Wanted {
            columns: Vec::new(),
            url: true,
            jwt_token: true,
        }
    }
}

impl Cerebro {
    /// The request's session, opened.
    pub async fn open(state: &AppState, session: SessionName) -> Result<Cerebro, Internal> {
        let opened = state.sessions.get(&session).await?;
        Ok(Cerebro {
            store: Store::new(opened),
            state: state.clone(),
            session,
        })
    }

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
        let now = self.now().unix_timestamp();
        let claims =
            jwt::verify_in_session::<CerebroClaims>(self.store.session(), CEREBRO_KEY, token)
                .await?
                .filter(|claims| claims.exp > now);
        match claims {
            Some(claims) => self.store.account(&claims.sub).await,
            None => Ok(None),
        }
    }

    // --- deployments ---

    /// The deployments an account sees, as Cerebro lists them, with what `wanted` asks for.
    pub async fn visible_deployments(
        &self,
        account: &Account,
        wanted: Wanted,
    ) -> Result<Vec<DeploymentOut>> {
        let mut list = self
            .store
            .visible_deployments(&account.id, &wanted.columns)
            .await?;
        if wanted.url {
            let changed = backends::ensure_all(&self.state, &self.session, &mut list)?;
            if !changed.is_empty() {
                self.store.set_ports(&changed).await?;
            }
        }
        self.deployments_out(list, &wanted).await
    }

    /// Deployments as the API shows them: `jwtToken` and `url` as `wanted` asks.
    pub async fn deployments_out(
        &self,
        list: Vec<Deployment>,
        wanted: &Wanted,
    ) -> Result<Vec<DeploymentOut>> {
        let key = if wanted.jwt_token {
            Some(self.store.session().signing_key(DEPLOYMENT_KEY).await?)
        } else {
            None
        };
        let host = self.public_host();
        let mut out = Vec::with_capacity(list.len());
        for d in list {
            let jwt_token = match &key {
                Some(key) => deployment_token(&d, key)?,
                None => String::new(),
            };
            let url = if wanted.url {
                d.url(host)
            } else {
                String::new()
            };
            out.push(DeploymentOut {
                uid: d.uid,
                name: d.name,
                zone: d.zone,
                subdomain: d.subdomain,
                url,
                owner: d.owner,
                jwt_token,
                deployment_mode: d.deployment_mode,
                deployment_type: d.deployment_type,
                lambda_script: d.lambda_script,
                tenant_id: d.tenant_id,
                size: d.size,
                organization_uid: d.organization_uid,
            });
        }
        Ok(out)
    }

    /// A deployment the account sees, or the error that says it does not exist.
    pub async fn deployment_of(&self, account: &Account, uid: &str) -> Result<Deployment> {
        self.store
            .visible_deployment(&account.id, uid)
            .await?
            .ok_or_else(|| not_found(uid))
    }

    /// A new deployment of the account's, with its own port when ports are on: the deployment
    /// as the API shows it.
    pub async fn create_deployment(
        &self,
        account: &Account,
        new: NewDeployment,
    ) -> Result<DeploymentOut> {
        let name = new.name.trim().to_owned();
        if name.is_empty() {
            return Err(ApiError::invalid("name is required"));
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
            return Err(ApiError::invalid(format!("invalid zone {zone:?}")));
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
                return Err(ApiError::Conflict(format!(
                    "subdomain {} is already taken",
                    deployment.subdomain
                )));
            }
            Err(WriteError::Internal(e)) => return Err(e.into()),
        }
        match backends::open(&self.state, &self.session, &deployment.uid).await {
            Ok(port) => {
                if port.is_some() {
                    deployment.port = port.map(i64::from);
                    self.store
                        .set_ports(&[(deployment.uid.clone(), deployment.port)])
                        .await?;
                }
            }
            Err(refused) => {
                // No half-made backend: without the port its `url` would name, it is not created.
                self.store
                    .delete_deployment(&account.id, &deployment.uid)
                    .await?;
                return Err(refused);
            }
        }
        let mut out = self
            .deployments_out(vec![deployment], &Wanted::all())
            .await?;
        out.pop()
            .ok_or_else(|| ApiError::Internal(Internal::msg("a created deployment went missing")))
    }

    /// The subdomain asked for, or the slugified name (docs/spec/dgraph.md §4.5), made unique
    /// with a suffix.
    async fn pick_subdomain(&self, wanted: Option<&str>, name: &str) -> Result<String> {
        if let Some(wanted) = wanted.filter(|w| !w.is_empty()) {
            if !is_label(wanted) {
                return Err(ApiError::invalid(format!(
                    "invalid subdomain {wanted:?}: use lowercase letters, digits and '-'"
                )));
            }
            if self.store.subdomain_taken(wanted).await? {
                return Err(ApiError::Conflict(format!(
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
    ) -> Result<()> {
        let deployment = self.deployment_of(account, uid).await?;
        if let Some(name) = &patch.name
            && name.trim().is_empty()
        {
            return Err(ApiError::invalid("name must not be empty"));
        }
        if let Some(mode) = &patch.deployment_mode {
            check_mode(mode, &deployment.deployment_type)?;
        }
        let org = patch.organization_uid.as_deref().filter(|o| !o.is_empty());
        if let Some(org) = org {
            self.organization_check(account, org).await?;
        }
        // Checked before anything is written: a refused script changes nothing else either.
        let lambda = match &patch.lambda_script {
            Some(script) => Some(self.lambda_change(script)?),
            None => None,
        };
        let updated = self
            .store
            .update_deployment(
                &account.id,
                uid,
                patch.name.as_deref().map(str::trim),
                patch.deployment_mode.as_deref(),
                org,
            )
            .await?;
        if !updated {
            return Err(not_found(uid));
        }
        if let Some((script, logs)) = lambda {
            self.store
                .set_lambda(&account.id, uid, script, &logs)
                .await?;
        }
        Ok(())
    }

    /// Deletes a deployment the account sees and releases its port. Needs no port of its own:
    /// a deployment that never got one is deleted like any other.
    pub async fn delete_deployment(&self, account: &Account, uid: &str) -> Result<()> {
        if !self.store.delete_deployment(&account.id, uid).await? {
            return Err(not_found(uid));
        }
        backends::close(&self.state, &self.session, uid).await;
        Ok(())
    }

    /// Stores a base64 lambda script (`""` deletes it) of a deployment the account sees, and
    /// writes the lambda server's log lines.
    pub async fn update_lambda(&self, account: &Account, uid: &str, script: &str) -> Result<()> {
        self.deployment_of(account, uid).await?;
        let (script, logs) = self.lambda_change(script)?;
        if !self
            .store
            .set_lambda(&account.id, uid, script, &logs)
            .await?
        {
            return Err(not_found(uid));
        }
        Ok(())
    }

    /// A lambda script checked (base64, under 500 KB), and the log lines its change writes.
    fn lambda_change<'s>(&self, script: &'s str) -> Result<(&'s str, Vec<(String, String)>)> {
        let script = script.trim();
        let now = self.now();
        let mut logs = Vec::new();
        if script.is_empty() {
            logs.push((iso(now), format!("{} Lambda script removed", go_time(now))));
            return Ok((script, logs));
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(script)
            .map_err(|_| ApiError::invalid("lambdaScript must be base64-encoded"))?;
        if decoded.len() > MAX_LAMBDA_BYTES {
            return Err(ApiError::invalid(
                "lambda script is larger than the 500 KB limit",
            ));
        }
        // What the lambda server prints when it restarts with a new script
        // (docs/spec/dgraph.md §4.8).
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
        Ok((script, logs))
    }

    async fn organization_check(&self, account: &Account, org: &str) -> Result<()> {
        match self.store.organization_of(&account.id, org).await? {
            Some(_) => Ok(()),
            None => Err(ApiError::not_found(format!("organization {org} not found"))),
        }
    }
}

fn not_found(uid: &str) -> ApiError {
    ApiError::not_found(format!("deployment {uid} not found"))
}

/// The deployment's `jwtToken`: the same on every read, so it is derived, not stored.
fn deployment_token(d: &Deployment, key: &[u8]) -> Result<String, Internal> {
    let iat = super::model::parse_iso(&d.created_at)
        .map(|t| t.unix_timestamp())
        .unwrap_or(0);
    let claims = DeploymentClaims {
        deployment: d.uid.clone(),
        iat,
        exp: iat + DEPLOYMENT_TOKEN_YEARS * 365 * 86_400,
    };
    jwt::sign(&claims, key)
}

fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(ApiError::Invalid(format!(
            "invalid {field} {value:?}: expected one of {}",
            allowed.join(", ")
        )))
    }
}

/// Read-Only and Flexible modes are for dedicated backends only (docs/spec/dgraph.md §5.2). The
/// CLI asks for them without naming a type (§8.6), so the request is well formed and the
/// backend's tier is what refuses it: a 403 on REST, not a 400.
fn check_mode(mode: &str, deployment_type: &str) -> Result<()> {
    one_of("deploymentMode", mode, DEPLOYMENT_MODES)?;
    if mode != "graphql" && deployment_type != "dedicated" {
        return Err(ApiError::Forbidden(format!(
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

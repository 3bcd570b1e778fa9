//! Users and their personal access tokens. A token is kept as its SHA-256 only.

use super::Store;
use crate::db;
use crate::error::Internal;
use crate::hasura::auth::User;

impl Store {
    /// The user with this email, created if new (the control API); returns the user and whether
    /// it was created.
    pub async fn ensure_user(&self, id: &str, email: &str) -> Result<(User, bool), Internal> {
        let inserted = db::query(
            "INSERT OR IGNORE INTO hasura_users (id, email, email_lower, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(id)
        .bind(email)
        .bind(email.to_lowercase())
        .bind(self.now())
        .execute(self.session.db())
        .await?
        .rows_affected()
            == 1;
        let (existing,): (String,) =
            db::query_as("SELECT id FROM hasura_users WHERE email_lower = ?")
                .bind(email.to_lowercase())
                .fetch_one(self.session.db())
                .await?;
        Ok((User::new(existing), inserted))
    }

    /// A new PAT of the user, by the hash of its value; returns when it was made.
    pub async fn insert_pat(
        &self,
        user: &User,
        id: &str,
        token_hash: &str,
        description: Option<&str>,
    ) -> Result<String, Internal> {
        let now = self.now();
        db::query(
            "INSERT INTO hasura_pats (id, user_id, token_hash, description, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(user.id())
        .bind(token_hash)
        .bind(description)
        .bind(&now)
        .execute(self.session.db())
        .await?;
        Ok(now)
    }

    /// The user a token belongs to. Every request asks, so the answer is kept in the session's
    /// cache of principals until a token is deleted (or the session's rows are replaced).
    pub async fn user_by_pat(&self, token_hash: &str) -> Result<Option<User>, Internal> {
        let cache_key = format!("hasura.pat:{token_hash}");
        if let Some(user) = self.session.cached_principal::<User>(&cache_key) {
            return Ok(Some(User::clone(&user)));
        }
        let version = self.session.principals_version();
        let user =
            db::query_as::<(String,)>("SELECT user_id FROM hasura_pats WHERE token_hash = ?")
                .bind(token_hash)
                .fetch_optional(self.session.db())
                .await?
                .map(|(id,)| User::new(id));
        if let Some(user) = &user {
            self.session
                .cache_principal(version, cache_key, user.clone());
        }
        Ok(user)
    }

    /// Deletes one of the user's PATs; it stops working at once.
    pub async fn delete_pat(&self, user: &User, id: &str) -> Result<bool, Internal> {
        let deleted = db::query("DELETE FROM hasura_pats WHERE id = ? AND user_id = ?")
            .bind(id)
            .bind(user.id())
            .execute(self.session.db())
            .await?
            .rows_affected()
            == 1;
        if deleted {
            self.session.forget_principals();
        }
        Ok(deleted)
    }

    pub async fn user_email(&self, user: &User) -> Result<Option<String>, Internal> {
        Ok(
            db::query_as::<(String,)>("SELECT email FROM hasura_users WHERE id = ?")
                .bind(user.id())
                .fetch_optional(self.session.db())
                .await?
                .map(|(e,)| e),
        )
    }
}

// ---- fixtures: plain inserts on an open transaction
// ----------------------------------------------

/// A user with a pinned id (fixtures); a taken id or email is a unique violation.
pub async fn insert_user(
    conn: &mut db::Connection,
    id: &str,
    email: &str,
    now: &str,
) -> Result<(), db::Error> {
    db::query("INSERT INTO hasura_users (id, email, email_lower, created_at) VALUES (?, ?, ?, ?)")
        .bind(id)
        .bind(email)
        .bind(email.to_lowercase())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A personal access token, by the hash of its known value (fixtures).
pub async fn insert_pat_row(
    conn: &mut db::Connection,
    id: &str,
    user_id: &str,
    token_hash: &str,
    now: &str,
) -> Result<(), db::Error> {
    db::query(
        "INSERT INTO hasura_pats (id, user_id, token_hash, description, created_at) VALUES (?, ?, ?, NULL, ?)",
    )
    .bind(id)
    .bind(user_id)
    .bind(token_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

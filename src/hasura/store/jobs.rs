//! Preview-app jobs: a job, its tasks and all their events are written when the app is queued;
//! events carry the time they happen, so jobs progress with the session clock
//! (docs/spec/hasura.md §8.6). Injected outcomes (the control API) end the next app of a name
//! `failed` or `skipped`.

use serde_json::Value;

use super::projects::insert_owned_project;
use super::{NewProject, Store, WriteError};
use crate::db;
use crate::error::Internal;
use crate::hasura::auth::User;
use crate::hasura::model::NewJob;

impl Store {
    /// A preview app in one transaction: the user's project of the same name goes, the new
    /// project (none when the creation is to fail) and its jobs come.
    pub async fn create_preview_app(
        &self,
        user: &User,
        project: Option<&NewProject>,
        jobs: &[NewJob],
    ) -> Result<(), WriteError> {
        let now = self.now();
        let mut tx = self.session.db().begin().await?;
        if let Some(project) = project {
            db::query("DELETE FROM hasura_projects WHERE owner_id = ? AND name = ?")
                .bind(user.id())
                .bind(&project.name)
                .execute(&mut *tx)
                .await?;
            insert_owned_project(&mut tx, project, user.id(), &now).await?;
        }
        for job in jobs {
            insert_job(&mut tx, user, job, &now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets the outcome of the next preview app named `name`.
    pub async fn set_preview_outcome(
        &self,
        name: &str,
        outcome: &str,
        error: Option<&str>,
    ) -> Result<(), Internal> {
        db::query(
            "INSERT INTO hasura_preview_app_outcomes (name, outcome, error, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (name) DO UPDATE SET outcome = excluded.outcome, error = excluded.error",
        )
        .bind(name)
        .bind(outcome)
        .bind(error)
        .bind(self.now())
        .execute(self.session.db())
        .await?;
        Ok(())
    }

    /// The injected outcome for a preview app named `name`, used up by this call. Names are
    /// subdomains, unique across users, so the outcome is not the caller's own.
    pub async fn take_preview_outcome(
        &self,
        name: &str,
    ) -> Result<Option<(String, Option<String>)>, Internal> {
        Ok(db::query_as(
            "DELETE FROM hasura_preview_app_outcomes WHERE name = ? RETURNING outcome, error",
        )
        .bind(name)
        .fetch_optional(self.session.db())
        .await?)
    }
}

async fn insert_job(
    conn: &mut db::Connection,
    user: &User,
    job: &NewJob,
    now: &str,
) -> Result<(), WriteError> {
    db::query(
        "INSERT INTO hasura_jobs (id, user_id, job_type, input, project_id, project_name, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&job.id)
    .bind(user.id())
    .bind(&job.job_type)
    .bind(job.input.to_string())
    .bind(&job.project_id)
    .bind(&job.project_name)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    for task in &job.tasks {
        db::query(
            "INSERT INTO hasura_tasks (id, job_id, name, cloud, region, payload, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&task.id)
        .bind(&job.id)
        .bind(&task.name)
        .bind(&task.cloud)
        .bind(&task.region)
        .bind(task.payload.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await?;
        for e in &task.events {
            db::query(
                "INSERT INTO hasura_task_events (id, task_id, event_type, public_event_data, error, github_detail, happens_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&e.id)
            .bind(&task.id)
            .bind(&e.event_type)
            .bind(e.public_event_data.as_ref().map(Value::to_string))
            .bind(&e.error)
            .bind(&e.github_detail)
            .bind(&e.happens_at)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

-- Hasura's GraphQL tables are read from SQL per request (src/hasura/store/read): each list is
-- scoped to what the caller may see and paged in SQL, each relationship fetched by its key. These
-- indexes keep that cost to the rows a request returns: a user's projects in creation order (so
-- a first page stops after its rows), a user's collaborations and tokens and jobs, and every
-- relationship's key.

CREATE INDEX hasura_projects_owner ON hasura_projects (owner_id, created_at, id);
CREATE INDEX hasura_collaborators_user ON hasura_collaborators (user_id);
CREATE INDEX hasura_pats_user ON hasura_pats (user_id, created_at, id);
CREATE INDEX hasura_custom_domains_tenant ON hasura_custom_domains (tenant_id, created_at, id);
CREATE INDEX hasura_invitations_project ON hasura_invitations (project_id);
CREATE INDEX hasura_jobs_user ON hasura_jobs (user_id, created_at, id);
CREATE INDEX hasura_jobs_project ON hasura_jobs (project_id);
CREATE INDEX hasura_tasks_job ON hasura_tasks (job_id);

-- A task's last event so far: by task, then time.
DROP INDEX hasura_task_events_task;
CREATE INDEX hasura_task_events_task ON hasura_task_events (task_id, happens_at);

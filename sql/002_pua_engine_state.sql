-- 002_pua_engine_state: what the publication engine needs to resume a publication after a restart.
--
-- Applied by deploy/lib.sh (ll_migrate) inside one transaction together with
-- its schema_migrations row: no BEGIN/COMMIT in migration files.

ALTER TABLE pua
    ADD COLUMN granted_expires integer NULL,               -- Expires the server granted (seconds)
    ADD COLUMN state           text    NOT NULL DEFAULT 'published'
        CHECK (state IN ('idle', 'publishing', 'published', 'failed')),
    ADD COLUMN source_body     bytea   NULL;               -- the body as the source gave it (before processing)

COMMENT ON COLUMN pua.body_version IS 'the version the next changed body gets (dialog-info version), never reused';

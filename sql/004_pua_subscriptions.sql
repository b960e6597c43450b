-- 004_pua_subscriptions: subscriptions (send_subscribe) share the pua table with publications, as in OpenSIPS.
--
-- Applied by deploy/lib.sh (ll_migrate) and `lamplighter migrate` inside one transaction together with
-- its schema_migrations row: no BEGIN/COMMIT in migration files.
--
-- A subscription's row has its watcher in watcher_uri; a publication's has ''. The watcher joins the key,
-- so a subscription and a publication of the same presentity, event and id never overwrite each other.
-- Its dialog is in call_id, from_tag (ours), to_tag (the notifier's), cseq, record_route (the route set,
-- comma-separated name-addrs), contact (ours), remote_contact (the remote target); expires is the end of
-- the lifetime the notifier granted; content_type holds the Accept list; state the subscriber's state.

UPDATE pua SET watcher_uri = '' WHERE watcher_uri IS NULL;
ALTER TABLE pua
    ALTER COLUMN watcher_uri SET DEFAULT '',
    ALTER COLUMN watcher_uri SET NOT NULL,
    DROP CONSTRAINT pua_pkey,
    ADD PRIMARY KEY (pres_uri, event, pres_id, watcher_uri),
    DROP CONSTRAINT pua_state_check,
    ADD CONSTRAINT pua_state_check CHECK (state IN (
        'idle', 'publishing', 'published', 'failed',      -- publications
        'establishing', 'pending', 'active', 'terminating')); -- subscriptions ('idle': waiting to re-subscribe)

COMMENT ON COLUMN pua.watcher_uri IS 'subscriptions: the watcher (From); publications: empty';

-- 003_opensips_columns_feed_state: the OpenSIPS pua column set, the owning node, and the feed adapters' state.
--
-- Applied by deploy/lib.sh (ll_migrate) and `lamplighter migrate` inside one transaction together with
-- its schema_migrations row: no BEGIN/COMMIT in migration files.
--
-- Column names follow OpenSIPS's pua table (pres_id, expires as Unix seconds, version, flag, the dialog
-- columns) so an operator's queries carry over; `event` stays text (OpenSIPS stores a module-specific number).

ALTER TABLE pua RENAME COLUMN pub_id TO pres_id;
ALTER TABLE pua RENAME COLUMN body_version TO version;
ALTER TABLE pua RENAME COLUMN node_id TO node;
ALTER TABLE pua ALTER COLUMN expires_at TYPE bigint USING floor(extract(epoch FROM expires_at))::bigint;
ALTER TABLE pua RENAME COLUMN expires_at TO expires;
ALTER INDEX pua_expires_at_idx RENAME TO pua_expires_idx;

ALTER TABLE pua
    ADD COLUMN flag           integer NOT NULL DEFAULT 0, -- OpenSIPS/Kamailio pua flag of the producing module (UL_PUBLISH, DIALOG_PUBLISH, ...)
    ADD COLUMN watcher_uri    text    NULL,               -- subscriptions: the watcher (From)
    ADD COLUMN to_uri         text    NULL,               -- subscriptions: the resource (To)
    ADD COLUMN call_id        text    NULL,               -- Call-ID of the publication's (or subscription's) requests
    ADD COLUMN to_tag         text    NULL,
    ADD COLUMN from_tag       text    NULL,
    ADD COLUMN cseq           bigint  NULL,               -- last CSeq sent; the next request continues from it
    ADD COLUMN record_route   text    NULL,               -- subscriptions: the route set
    ADD COLUMN contact        text    NULL,               -- subscriptions: our Contact
    ADD COLUMN remote_contact text    NULL;               -- subscriptions: the remote target

COMMENT ON COLUMN pua.expires IS 'end of the lifetime the server granted, Unix seconds (OpenSIPS: expires)';
COMMENT ON COLUMN pua.version IS 'the version the next changed body gets (dialog-info version), never reused';
COMMENT ON COLUMN pua.node IS 'name of the node (cluster.node) that wrote the row last; a node recovers its own rows';

CREATE INDEX pua_node_idx ON pua (node);

-- The feed adapters' state, so an unregister or a hang-up arriving after a restart still turns its lamp off:
-- registrations: one row per AOR (its contacts with expiry, q and event order); dialogs: one row per dialog
-- and one per presentity (its dialogs and where its publication stands); mwi: the last event order per mailbox.
CREATE TABLE pua_feed_state (
    feed       text        NOT NULL CHECK (feed IN ('registrations', 'dialogs', 'dialog-presentities', 'mwi')),
    key        text        NOT NULL,            -- AOR, dialog key or presentity
    state      jsonb       NOT NULL,            -- the adapter's record for the key
    node       text        NULL,                -- the node that wrote it
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (feed, key)
);

CREATE INDEX pua_feed_state_node_idx ON pua_feed_state (node);

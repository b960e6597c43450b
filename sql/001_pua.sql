-- 001_pua: Lamplighter's publications (one row per PUBLISH-ed state).
--
-- Applied by deploy/lib.sh (ll_migrate) inside one transaction together with
-- its schema_migrations row: no BEGIN/COMMIT in migration files.

CREATE TABLE pua (
    pres_uri        text        NOT NULL,            -- presentity (PUBLISH Request-URI)
    event           text        NOT NULL,            -- e.g. presence, dialog, message-summary
    pub_id          text        NOT NULL DEFAULT '', -- distinguishes several publications of one presentity/event
    etag            text        NULL,                -- SIP-ETag from the last 2xx; NULL until published
    expires_at      timestamptz NULL,                -- expiry granted by the server
    desired_expires integer     NOT NULL,            -- Expires we ask for (seconds)
    body            bytea       NOT NULL,            -- current document (raw bytes)
    content_type    text        NOT NULL,            -- e.g. application/pidf+xml
    body_version    bigint      NOT NULL DEFAULT 0,  -- bumped on every body change
    tuple_id        text        NULL,                -- PIDF tuple id kept stable across refreshes (presence only)
    last_code       integer     NULL,                -- status code of the last final reply
    last_reason     text        NULL,
    last_reply_at   timestamptz NULL,
    source          text        NOT NULL,            -- which feed/API produced the state
    sharing_tag     text        NULL,                -- groups publications that share a lifetime
    extra_headers   text        NULL,                -- CRLF-separated extra SIP headers
    outbound_proxy  text        NULL,                -- SIP URI to send the PUBLISH through
    node_id         text        NULL,                -- daemon instance currently owning the row
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pres_uri, event, pub_id)
);

CREATE INDEX pua_expires_at_idx ON pua (expires_at);
CREATE INDEX pua_sharing_tag_idx ON pua (sharing_tag);

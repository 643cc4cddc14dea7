-- warroom SQLite schema v1: the confirmed event log, incident summaries, the replica's
-- outbox and sync cursor, and the server's tokens. One file serves a server, a solo
-- console, or a replica of a server.

CREATE TABLE incidents (
    id          TEXT PRIMARY KEY,          -- uuid
    short_id    TEXT NOT NULL,
    declared_at TEXT NOT NULL,             -- RFC 3339 UTC, fixed width
    last_seq    INTEGER NOT NULL,
    summary     TEXT NOT NULL              -- IncidentSummary as JSON, folded on append
);
CREATE INDEX incidents_short_id ON incidents(short_id);

CREATE TABLE events (
    incident    TEXT NOT NULL REFERENCES incidents(id) DEFERRABLE INITIALLY DEFERRED,
    seq         INTEGER NOT NULL,          -- per incident, from 1, no gaps
    id          TEXT NOT NULL UNIQUE,      -- client-made uuid v7: the idempotency key
    at          TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    author      TEXT NOT NULL,
    type        TEXT NOT NULL,
    body        TEXT NOT NULL,             -- the kind's fields as a JSON object
    PRIMARY KEY (incident, seq)
) WITHOUT ROWID;

-- Changes made here and not yet confirmed by the source of truth (the server, or in
-- solo mode this file itself). Written durably before the change is shown.
CREATE TABLE outbox (
    pos         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    incident    TEXT NOT NULL,
    at          TEXT NOT NULL,
    author      TEXT NOT NULL,
    type        TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'rejected')),
    error       TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_incident ON outbox(incident, pos);

-- A replica's knowledge of its server.
CREATE TABLE sync_state (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL
);

CREATE TABLE tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    handle      TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE,      -- sha256 of the token; the token itself is never stored
    read_only   INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX tokens_handle ON tokens(handle);

-- v4: alerts from monitoring (Alertmanager's webhook, or warroom's own alert shape), one
-- row per fingerprint, kept by a server. The record itself is JSON in `body`; the columns
-- beside it are what lookups need. It may run again over a file that has the table.
CREATE TABLE IF NOT EXISTS alerts (
    id          TEXT PRIMARY KEY,          -- uuid made by the server on first sight
    fingerprint TEXT NOT NULL UNIQUE,      -- lower-case hex
    group_hash  TEXT NOT NULL,             -- sha256 of the group key, hex
    status      TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
    incident    TEXT,                      -- uuid of the linked incident, if any
    updated_at  TEXT NOT NULL,             -- RFC 3339 UTC, fixed width
    body        TEXT NOT NULL              -- the alert as JSON (labels, annotations, times...)
);
CREATE INDEX IF NOT EXISTS alerts_group ON alerts(group_hash);
CREATE INDEX IF NOT EXISTS alerts_status ON alerts(status);

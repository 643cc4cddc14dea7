-- v3: alerts from monitoring (Alertmanager's webhook, or warroom's own alert shape), one
-- row per fingerprint. The record itself is JSON in `body`; the columns beside it are what
-- lookups need. It may run again over a database that has the table.
CREATE TABLE IF NOT EXISTS alerts (
    id          uuid PRIMARY KEY,          -- made by the server on first sight
    fingerprint text NOT NULL UNIQUE,      -- lower-case hex
    group_hash  text NOT NULL,             -- sha256 of the group key, hex
    status      text NOT NULL CHECK (status IN ('firing', 'resolved')),
    incident    uuid,                      -- the linked incident, if any
    updated_at  timestamptz NOT NULL,
    body        text NOT NULL              -- the alert as JSON (labels, annotations, times...)
);
CREATE INDEX IF NOT EXISTS alerts_group ON alerts(group_hash);
CREATE INDEX IF NOT EXISTS alerts_status ON alerts(status);

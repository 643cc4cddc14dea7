-- warroom PostgreSQL schema v1: the event log, incident summaries and tokens of a server.
CREATE TABLE incidents (
    id          uuid PRIMARY KEY,
    short_id    text NOT NULL,
    declared_at timestamptz NOT NULL,
    last_seq    bigint NOT NULL,
    summary     text NOT NULL            -- IncidentSummary as JSON, folded on append
);
CREATE INDEX incidents_short_id ON incidents(short_id);

CREATE TABLE events (
    incident    uuid NOT NULL REFERENCES incidents(id),
    seq         bigint NOT NULL,         -- per incident, from 1, no gaps
    id          uuid NOT NULL UNIQUE,    -- client-made: the idempotency key
    at          timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL,
    author      text NOT NULL,
    type        text NOT NULL,
    body        text NOT NULL,           -- the kind's fields as a JSON object
    PRIMARY KEY (incident, seq)
);

CREATE TABLE tokens (
    id          bigserial PRIMARY KEY,
    handle      text NOT NULL,
    hash        text NOT NULL UNIQUE,    -- sha256 of the token
    read_only   boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX tokens_handle ON tokens(handle);

-- v5: snapshots of folded states (`store/snapshot.rs`). One per incident: its state as
-- of `seq` (the event `last_id`), as JSON in the shape `format` names, written by warroom
-- `version`. Whoever needs the state folds only the events after it; a snapshot of
-- another format or version is ignored and replaced.
CREATE TABLE IF NOT EXISTS snapshots (
    incident    TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL,
    last_id     TEXT NOT NULL,
    format      INTEGER NOT NULL,
    version     TEXT NOT NULL,
    state       TEXT NOT NULL
);

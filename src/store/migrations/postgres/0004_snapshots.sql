-- v4: snapshots of folded states (`store/snapshot.rs`). One per incident: its state as
-- of `seq` (the event `last_id`), as JSON in the shape `format` names, written by warroom
-- `version`. Whoever needs the state folds only the events after it; a snapshot of
-- another format or version is ignored and replaced.
CREATE TABLE IF NOT EXISTS snapshots (
    incident    uuid PRIMARY KEY REFERENCES incidents(id),
    seq         bigint NOT NULL,
    last_id     uuid NOT NULL,
    format      integer NOT NULL,
    version     text NOT NULL,
    state       text NOT NULL
);

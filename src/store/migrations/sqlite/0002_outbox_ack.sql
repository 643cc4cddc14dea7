-- v2: the server's answer to a pushed change, kept until the confirmed event itself
-- arrives in the replica (then the outbox row goes).
ALTER TABLE outbox ADD COLUMN acked_seq INTEGER;

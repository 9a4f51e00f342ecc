-- Who took each lease last (the lease itself is a session-level advisory lock, see src/leases.rs):
-- how the other nodes find the holder, e.g. the log's sequencer to forward appends to.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    acquired_at_us BIGINT NOT NULL
);

-- Amparo's metadata in PostgreSQL.
--
-- Times are microseconds since the Unix epoch (BIGINT). Counters the Rust side holds as u64 are
-- BIGINT, converted with a check (never wrapped) and constrained to be non-negative here too.
-- Hashes and chain values are 32-byte BYTEA.

CREATE TABLE accounts (
    id UUID PRIMARY KEY,
    username TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at_us BIGINT NOT NULL
);
-- Usernames compare case-insensitively. lower() folds what the database's locale folds.
CREATE UNIQUE INDEX accounts_username ON accounts (lower(username));

CREATE TABLE account_roles (
    account UUID NOT NULL REFERENCES accounts (id),
    role TEXT NOT NULL CHECK (role IN ('member', 'attorney', 'responder', 'admin')),
    PRIMARY KEY (account, role)
);

-- Sessions by the SHA-256 of their bearer token: the token itself is never stored.
CREATE TABLE sessions (
    token_sha256 BYTEA PRIMARY KEY CHECK (length(token_sha256) = 32),
    account UUID NOT NULL REFERENCES accounts (id),
    created_at_us BIGINT NOT NULL,
    expires_at_us BIGINT NOT NULL
);
CREATE INDEX sessions_by_account ON sessions (account);

CREATE TABLE encounters (
    id UUID PRIMARY KEY,
    owner UUID NOT NULL REFERENCES accounts (id),
    started_at_us BIGINT NOT NULL,
    ended_at_us BIGINT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    accuracy_m DOUBLE PRECISION,
    us_state TEXT,
    language TEXT,
    wants_attorney BOOLEAN NOT NULL,
    note TEXT
);
CREATE INDEX encounters_by_owner ON encounters (owner, started_at_us);

CREATE TABLE encounter_attorneys (
    encounter UUID NOT NULL REFERENCES encounters (id),
    attorney UUID NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (encounter, attorney)
);

-- One tus upload per recording. `received` is the upload's offset: bytes received and logged.
CREATE TABLE uploads (
    id UUID PRIMARY KEY,
    encounter UUID NOT NULL REFERENCES encounters (id),
    owner UUID NOT NULL REFERENCES accounts (id),
    length BIGINT CHECK (length >= 0),
    received BIGINT NOT NULL CHECK (received >= 0),
    chain BYTEA NOT NULL CHECK (length(chain) = 32),
    media_type TEXT,
    metadata TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    expires_at_us BIGINT NOT NULL,
    terminated_at_us BIGINT
);
CREATE INDEX uploads_by_encounter ON uploads (encounter, created_at_us);

-- Chunks are keyed by their log index, so a batch appends them; the index by recording serves
-- `chunks_of`. A recording's offsets are unique by construction: `append_batch` only accepts a
-- chunk at its upload's current offset.
CREATE TABLE chunks (
    leaf_index BIGINT PRIMARY KEY CHECK (leaf_index >= 0),
    recording UUID NOT NULL REFERENCES uploads (id),
    byte_offset BIGINT NOT NULL CHECK (byte_offset >= 0),
    length BIGINT NOT NULL CHECK (length >= 0),
    sha256 BYTEA NOT NULL,
    chain BYTEA NOT NULL,
    received_at_us BIGINT NOT NULL
);
CREATE INDEX chunks_by_recording ON chunks (recording, byte_offset);

-- The transparency log.
CREATE TABLE log_entries (
    leaf_index BIGINT PRIMARY KEY CHECK (leaf_index >= 0),
    leaf BYTEA NOT NULL
);

-- The log's size, in one row. Every append updates it first, on the condition that it is still
-- the size the batch starts at: concurrent appenders queue on this row's lock, and a stale one
-- finds the condition false.
CREATE TABLE log_size (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    size BIGINT NOT NULL CHECK (size >= 0)
);
INSERT INTO log_size (size) VALUES (0);

-- The tree's stored hashes (tlog-tiles): each leaf hash, and every subtree hash once complete.
CREATE TABLE stored_hashes (
    level SMALLINT NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx BIGINT NOT NULL CHECK (idx >= 0),
    hash BYTEA NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

CREATE TABLE checkpoints (
    size BIGINT PRIMARY KEY CHECK (size >= 0),
    root BYTEA NOT NULL CHECK (length(root) = 32),
    note TEXT NOT NULL,
    published_at_us BIGINT NOT NULL
);

-- Chain of custody. `seq` orders accesses recorded in the same microsecond.
CREATE TABLE access_log (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    encounter UUID NOT NULL REFERENCES encounters (id),
    account UUID NOT NULL REFERENCES accounts (id),
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    at_us BIGINT NOT NULL
);
CREATE INDEX access_log_by_encounter ON access_log (encounter, at_us, seq);

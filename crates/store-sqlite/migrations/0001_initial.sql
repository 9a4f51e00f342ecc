-- Amparo's metadata in SQLite.
--
-- Ids are 16-byte UUID blobs, times are microseconds since the Unix epoch, counters the Rust side
-- holds as u64 are INTEGER (converted with a check, never wrapped), hashes are 32-byte blobs.
-- STRICT tables refuse a value of the wrong type instead of silently storing it.

CREATE TABLE accounts (
    id BLOB PRIMARY KEY NOT NULL,
    username TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at_us INTEGER NOT NULL
) STRICT;
-- Usernames compare case-insensitively. SQLite's lower() folds ASCII letters only.
CREATE UNIQUE INDEX accounts_username ON accounts (lower(username));

CREATE TABLE account_roles (
    account BLOB NOT NULL REFERENCES accounts (id),
    role TEXT NOT NULL CHECK (role IN ('member', 'attorney', 'responder', 'admin')),
    PRIMARY KEY (account, role)
) STRICT, WITHOUT ROWID;

-- Sessions by the SHA-256 of their bearer token: the token itself is never stored.
CREATE TABLE sessions (
    token_sha256 BLOB PRIMARY KEY NOT NULL,
    account BLOB NOT NULL REFERENCES accounts (id),
    created_at_us INTEGER NOT NULL,
    expires_at_us INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE encounters (
    id BLOB PRIMARY KEY NOT NULL,
    owner BLOB NOT NULL REFERENCES accounts (id),
    started_at_us INTEGER NOT NULL,
    ended_at_us INTEGER,
    latitude REAL,
    longitude REAL,
    accuracy_m REAL,
    us_state TEXT,
    language TEXT,
    wants_attorney INTEGER NOT NULL,
    note TEXT
) STRICT;
CREATE INDEX encounters_by_owner ON encounters (owner, started_at_us);

CREATE TABLE encounter_attorneys (
    encounter BLOB NOT NULL REFERENCES encounters (id),
    attorney BLOB NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (encounter, attorney)
) STRICT, WITHOUT ROWID;

-- One tus upload per recording. `received` is the upload's offset: bytes received and logged.
CREATE TABLE uploads (
    id BLOB PRIMARY KEY NOT NULL,
    encounter BLOB NOT NULL REFERENCES encounters (id),
    owner BLOB NOT NULL REFERENCES accounts (id),
    length INTEGER,
    received INTEGER NOT NULL,
    chain BLOB NOT NULL,
    media_type TEXT,
    metadata TEXT NOT NULL,
    created_at_us INTEGER NOT NULL,
    expires_at_us INTEGER NOT NULL,
    terminated_at_us INTEGER
) STRICT;
CREATE INDEX uploads_by_encounter ON uploads (encounter, created_at_us);

CREATE TABLE chunks (
    leaf_index INTEGER PRIMARY KEY NOT NULL,
    recording BLOB NOT NULL REFERENCES uploads (id),
    byte_offset INTEGER NOT NULL,
    length INTEGER NOT NULL,
    sha256 BLOB NOT NULL,
    chain BLOB NOT NULL,
    received_at_us INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX chunks_by_recording ON chunks (recording, byte_offset);

-- The transparency log. The leaf index is the rowid: appends go to the end of the b-tree.
CREATE TABLE log_entries (
    leaf_index INTEGER PRIMARY KEY NOT NULL,
    leaf BLOB NOT NULL
) STRICT;

-- The tree's stored hashes (tlog-tiles): each leaf hash, and every subtree hash once complete.
CREATE TABLE stored_hashes (
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE checkpoints (
    size INTEGER PRIMARY KEY NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    published_at_us INTEGER NOT NULL
) STRICT;

-- Chain of custody. `seq` (the rowid) orders accesses recorded in the same microsecond.
CREATE TABLE access_log (
    seq INTEGER PRIMARY KEY NOT NULL,
    encounter BLOB NOT NULL REFERENCES encounters (id),
    account BLOB NOT NULL REFERENCES accounts (id),
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    at_us INTEGER NOT NULL
) STRICT;
CREATE INDEX access_log_by_encounter ON access_log (encounter, at_us, seq);

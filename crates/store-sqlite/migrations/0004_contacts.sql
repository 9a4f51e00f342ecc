-- Emergency contacts and detentions (issue 5).
--
-- A contact holds only what reaching them needs. The prepared message is sealed by the server
-- (XChaCha20-Poly1305, key outside the database) before it is written: this column is ciphertext.
-- The five-contact limit is checked in the transaction that inserts (one writer at a time).

CREATE TABLE emergency_contacts (
    id BLOB PRIMARY KEY NOT NULL,
    account BLOB NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    language TEXT NOT NULL,
    prepared_message BLOB,
    created_at_us INTEGER NOT NULL,
    updated_at_us INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX emergency_contacts_by_account ON emergency_contacts (account, created_at_us);

-- "I'm being detained": one row per encounter, so the prepared messages go out once.
CREATE TABLE encounter_detentions (
    encounter BLOB PRIMARY KEY NOT NULL REFERENCES encounters (id),
    at_us INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

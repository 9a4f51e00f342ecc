-- Emergency contacts and detentions (issue 5).
--
-- A contact holds only what reaching them needs. The prepared message is sealed by the server
-- (XChaCha20-Poly1305, key outside the database) before it is written: this column is ciphertext.
-- The five-contact limit is checked in the transaction that inserts, after locking the account's
-- row (SELECT ... FOR UPDATE), so concurrent adds for one account take turns.

CREATE TABLE emergency_contacts (
    id UUID PRIMARY KEY,
    account UUID NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    language TEXT NOT NULL,
    prepared_message BYTEA,
    created_at_us BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL
);
CREATE INDEX emergency_contacts_by_account ON emergency_contacts (account, created_at_us);

-- "I'm being detained": one row per encounter, so the prepared messages go out once.
CREATE TABLE encounter_detentions (
    encounter UUID PRIMARY KEY REFERENCES encounters (id),
    at_us BIGINT NOT NULL
);

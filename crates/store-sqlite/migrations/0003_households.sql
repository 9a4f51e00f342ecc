-- Households (issue 5): the people a personal plan covers, and invitations into them.
--
-- The owner is also a row of `household_members`. `account` is that table's primary key, so an
-- account belongs to at most one household whatever the server does. The six-seat limit cannot be
-- a constraint; the store checks it in the transaction that adds a member (one writer at a time).

CREATE TABLE households (
    id BLOB PRIMARY KEY NOT NULL,
    owner BLOB NOT NULL REFERENCES accounts (id),
    created_at_us INTEGER NOT NULL,
    -- The plan's period. Recording and evidence export never read it.
    starts_at_us INTEGER NOT NULL,
    ends_at_us INTEGER,
    grace_days INTEGER NOT NULL CHECK (grace_days >= 0)
) STRICT;

CREATE TABLE household_members (
    account BLOB PRIMARY KEY NOT NULL REFERENCES accounts (id),
    household BLOB NOT NULL REFERENCES households (id),
    joined_at_us INTEGER NOT NULL,
    -- Orders members who joined in the same microsecond, and the owner (inserted first) first.
    seq INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX household_members_by_household ON household_members (household, seq);

-- Invitations by the SHA-256 of their code: the code itself is never stored. A used one is kept
-- (used_at_us set) so that it cannot be used again.
CREATE TABLE household_invitations (
    code_sha256 BLOB PRIMARY KEY NOT NULL,
    household BLOB NOT NULL REFERENCES households (id),
    created_by BLOB NOT NULL REFERENCES accounts (id),
    created_at_us INTEGER NOT NULL,
    expires_at_us INTEGER NOT NULL,
    used_at_us INTEGER,
    used_by BLOB REFERENCES accounts (id)
) STRICT, WITHOUT ROWID;
CREATE INDEX household_invitations_by_household ON household_invitations (household);

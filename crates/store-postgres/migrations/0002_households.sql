-- Households (issue 5): the people a personal plan covers, and invitations into them.
--
-- The owner is also a row of `household_members`. `account` is that table's primary key, so an
-- account belongs to at most one household whatever the server does. The six-seat limit cannot be
-- a constraint: the store checks it in the transaction that adds a member, after locking the
-- household's row (SELECT ... FOR UPDATE), so concurrent accepts for one household take turns.

CREATE TABLE households (
    id UUID PRIMARY KEY,
    owner UUID NOT NULL REFERENCES accounts (id),
    created_at_us BIGINT NOT NULL,
    -- The plan's period. Recording and evidence export never read it.
    starts_at_us BIGINT NOT NULL,
    ends_at_us BIGINT,
    grace_days BIGINT NOT NULL CHECK (grace_days >= 0)
);

CREATE TABLE household_members (
    account UUID PRIMARY KEY REFERENCES accounts (id),
    household UUID NOT NULL REFERENCES households (id),
    joined_at_us BIGINT NOT NULL,
    -- Orders members who joined in the same microsecond, and the owner (inserted first) first.
    seq BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX household_members_by_household ON household_members (household, seq);

-- Invitations by the SHA-256 of their code: the code itself is never stored. A used one is kept
-- (used_at_us set) so that it cannot be used again.
CREATE TABLE household_invitations (
    code_sha256 BYTEA PRIMARY KEY CHECK (length(code_sha256) = 32),
    household UUID NOT NULL REFERENCES households (id),
    created_by UUID NOT NULL REFERENCES accounts (id),
    created_at_us BIGINT NOT NULL,
    expires_at_us BIGINT NOT NULL,
    used_at_us BIGINT,
    used_by UUID REFERENCES accounts (id)
);
CREATE INDEX household_invitations_by_household ON household_invitations (household);

-- Organizations and plans (issue 5): seat pools, their admins, the seats given, billing events
-- applied, and an index to purge spent invitations.
--
-- Numbered 0005 with a gap below it on purpose (another branch owns 0003 and 0004): sqlx applies
-- every migration it has not applied yet, whatever its number, and refuses only one it applied
-- that has since changed or vanished.
--
-- An organization keeps no one's personal details: the seats name accounts, nothing more.

CREATE TABLE organizations (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    -- The pool's size. It may fall below the seats given (billing shrank it): nobody loses a seat
    -- for that; none is given until enough are reclaimed.
    seats BIGINT NOT NULL CHECK (seats >= 0),
    -- Policy, set by the organization's admins.
    seat_covers_household BOOLEAN NOT NULL,
    backup_line TEXT,
    lapsed_alerts BOOLEAN NOT NULL,
    lapsed_attorney_line BOOLEAN NOT NULL,
    -- The plan's period. Recording and evidence export never read it.
    starts_at_us BIGINT NOT NULL,
    ends_at_us BIGINT,
    grace_days BIGINT NOT NULL CHECK (grace_days >= 0),
    created_at_us BIGINT NOT NULL
);

-- Admins of one organization each: a relation, not a server-wide role.
CREATE TABLE org_admins (
    org UUID NOT NULL REFERENCES organizations (id),
    account UUID NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (org, account)
);
CREATE INDEX org_admins_by_account ON org_admins (account);

-- `account` is the primary key: an account holds at most one seat, whatever the server does. The
-- pool's size cannot be a constraint: the store checks it in the transaction that gives a seat,
-- after locking the organization's row (SELECT ... FOR UPDATE), so concurrent assignments take
-- turns.
CREATE TABLE org_seats (
    account UUID PRIMARY KEY REFERENCES accounts (id),
    org UUID NOT NULL REFERENCES organizations (id),
    assigned_at_us BIGINT NOT NULL,
    -- Orders seats given in the same microsecond.
    seq BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX org_seats_by_org ON org_seats (org, seq);

-- The billing system's event ids, each applied once; kept as the record of what billing changed.
CREATE TABLE billing_events (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    received_at_us BIGINT NOT NULL
);

-- Purging used and expired invitations without reading them all.
CREATE INDEX household_invitations_by_expiry ON household_invitations (expires_at_us);

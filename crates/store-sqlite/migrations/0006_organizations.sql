-- Organizations and plans (issue 5): seat pools, their admins, the seats given, billing events
-- applied, and an index to purge spent invitations.
--
-- Numbered 0006 with gaps below it on purpose (other branches own 0004 and 0005): sqlx applies
-- every migration it has not applied yet, whatever its number, and refuses only one it applied
-- that has since changed or vanished.
--
-- An organization keeps no one's personal details: the seats name accounts, nothing more.

CREATE TABLE organizations (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    -- The pool's size. It may fall below the seats given (billing shrank it): nobody loses a seat
    -- for that; none is given until enough are reclaimed.
    seats INTEGER NOT NULL CHECK (seats >= 0),
    -- Policy, set by the organization's admins.
    seat_covers_household INTEGER NOT NULL CHECK (seat_covers_household IN (0, 1)),
    backup_line TEXT,
    lapsed_alerts INTEGER NOT NULL CHECK (lapsed_alerts IN (0, 1)),
    lapsed_attorney_line INTEGER NOT NULL CHECK (lapsed_attorney_line IN (0, 1)),
    -- The plan's period. Recording and evidence export never read it.
    starts_at_us INTEGER NOT NULL,
    ends_at_us INTEGER,
    grace_days INTEGER NOT NULL CHECK (grace_days >= 0),
    created_at_us INTEGER NOT NULL
) STRICT;

-- Admins of one organization each: a relation, not a server-wide role.
CREATE TABLE org_admins (
    org BLOB NOT NULL REFERENCES organizations (id),
    account BLOB NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (org, account)
) STRICT, WITHOUT ROWID;
CREATE INDEX org_admins_by_account ON org_admins (account);

-- `account` is the primary key: an account holds at most one seat, whatever the server does. The
-- pool's size cannot be a constraint; the store checks it in the transaction that gives a seat
-- (one writer at a time).
CREATE TABLE org_seats (
    account BLOB PRIMARY KEY NOT NULL REFERENCES accounts (id),
    org BLOB NOT NULL REFERENCES organizations (id),
    assigned_at_us INTEGER NOT NULL,
    -- Orders seats given in the same microsecond.
    seq INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX org_seats_by_org ON org_seats (org, seq);

-- The billing system's event ids, each applied once; kept as the record of what billing changed.
CREATE TABLE billing_events (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    received_at_us INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Purging used and expired invitations without reading them all.
CREATE INDEX household_invitations_by_expiry ON household_invitations (expires_at_us);

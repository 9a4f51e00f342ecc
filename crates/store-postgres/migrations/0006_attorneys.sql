-- The attorney line (issue 4): vetted attorneys, their time on duty, each request for an attorney
-- and how it went, the notes attorneys keep, and each organization's rule for bar admissions.
--
-- Dispatch runs in memory; these rows are what it starts from after a restart (open calls) and
-- what the coverage page reads. They say nothing of the person who asked beyond the language and
-- state dispatch matched on.

-- One profile per account: an attorney answers for one organization. The lists are arrays of codes
-- (USPS states, language subtags, specialty names); the store parses them back with the dispatch
-- types, so a hand edit that breaks one is reported, not guessed.
CREATE TABLE attorneys (
    account UUID PRIMARY KEY REFERENCES accounts (id),
    org UUID NOT NULL REFERENCES organizations (id),
    display_name TEXT NOT NULL,
    vetted BOOLEAN NOT NULL,
    bar_admissions TEXT[] NOT NULL,
    languages TEXT[] NOT NULL,
    specialties TEXT[] NOT NULL,
    -- Zero means on duty but taking no calls.
    capacity BIGINT NOT NULL CHECK (capacity >= 0),
    updated_by UUID NOT NULL REFERENCES accounts (id),
    updated_at_us BIGINT NOT NULL
);
-- Byte order, as SQLite sorts: both backends list a roster the same way, whatever the locale.
CREATE INDEX attorneys_by_org ON attorneys (org, display_name COLLATE "C");

-- Time on duty. Two spans of one attorney may start in the same microsecond (a span closed and
-- reopened at once), so the start is no key; `id` orders them.
CREATE TABLE duty_spans (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    attorney UUID NOT NULL REFERENCES accounts (id),
    org UUID NOT NULL REFERENCES organizations (id),
    since_us BIGINT NOT NULL,
    until_us BIGINT CHECK (until_us >= since_us)
);
-- At most one open span per attorney, whatever the nodes do: starting one closes the last, after
-- locking the attorney's account row, so concurrent starts take turns.
CREATE UNIQUE INDEX duty_spans_open ON duty_spans (attorney) WHERE until_us IS NULL;
CREATE INDEX duty_spans_by_org ON duty_spans (org, since_us);

-- Each request for an attorney, keyed by its encounter and when it was asked (asking again after a
-- cancel is a new row).
CREATE TABLE attorney_calls (
    encounter UUID NOT NULL REFERENCES encounters (id),
    requested_at_us BIGINT NOT NULL,
    org UUID NOT NULL REFERENCES organizations (id),
    language TEXT NOT NULL,
    us_state TEXT NOT NULL,
    offered_at_us BIGINT,
    connected_at_us BIGINT,
    attorney UUID REFERENCES accounts (id),
    closed_at_us BIGINT,
    outcome TEXT CHECK (outcome IN ('ended', 'cancelled')),
    PRIMARY KEY (encounter, requested_at_us)
);
CREATE INDEX attorney_calls_by_org ON attorney_calls (org, requested_at_us);
CREATE INDEX attorney_calls_by_attorney ON attorney_calls (attorney, requested_at_us);
-- What a restarted node hands back to dispatch, without reading every call ever made.
CREATE INDEX attorney_calls_open ON attorney_calls (requested_at_us) WHERE closed_at_us IS NULL;

-- Notes are only ever added: the store has no statement that changes or deletes one.
CREATE TABLE attorney_notes (
    id UUID PRIMARY KEY,
    encounter UUID NOT NULL REFERENCES encounters (id),
    author UUID NOT NULL REFERENCES accounts (id),
    text TEXT NOT NULL,
    at_us BIGINT NOT NULL
);
CREATE INDEX attorney_notes_by_encounter ON attorney_notes (encounter, at_us);

-- An organization's rule for bar admissions, once its admins chose one (dispatch has a default).
CREATE TABLE org_dispatch_policies (
    org UUID PRIMARY KEY REFERENCES organizations (id),
    state_policy TEXT NOT NULL CHECK (state_policy IN ('admitted_in_state', 'any_us_admission'))
);

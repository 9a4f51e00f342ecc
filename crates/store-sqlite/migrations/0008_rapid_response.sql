-- The rapid-response network (issue 6): reports, incidents, questions, the responders' audit log,
-- watch areas, the vehicle registry.
--
-- What is not here is deliberate: no column for a reporter beyond the account id, none for
-- coordinates (places are H3 cells at the network's precision, as INTEGER), none for an officer's
-- name, face or address, none for anyone's location over time. A watch area keeps its cells, not
-- the point it was drawn around.

CREATE TABLE incidents (
    id BLOB PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    cell INTEGER NOT NULL,
    observed_at_us INTEGER NOT NULL,
    description TEXT NOT NULL,
    how TEXT NOT NULL,
    verified_by BLOB NOT NULL REFERENCES accounts (id),
    verified_at_us INTEGER NOT NULL,
    updated_at_us INTEGER NOT NULL,
    withdrawn_at_us INTEGER,
    note TEXT
) STRICT;
CREATE INDEX incidents_by_cell ON incidents (cell, updated_at_us);

CREATE TABLE reports (
    id BLOB PRIMARY KEY NOT NULL,
    reporter BLOB NOT NULL REFERENCES accounts (id),
    kind TEXT NOT NULL,
    cell INTEGER NOT NULL,
    observed_at_us INTEGER NOT NULL,
    created_at_us INTEGER NOT NULL,
    expires_at_us INTEGER NOT NULL,
    description TEXT NOT NULL,
    -- The vehicles as the reporter described them (JSON list); the registry is its own table.
    vehicles TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('unverified', 'verified', 'merged', 'rejected', 'expired')),
    incident BLOB REFERENCES incidents (id),
    decided_by BLOB REFERENCES accounts (id),
    decided_at_us INTEGER,
    reason TEXT
) STRICT;
CREATE INDEX reports_open ON reports (created_at_us) WHERE state = 'unverified';
CREATE INDEX reports_by_reporter ON reports (reporter, created_at_us);

CREATE TABLE report_questions (
    id BLOB PRIMARY KEY NOT NULL,
    report BLOB NOT NULL REFERENCES reports (id),
    asked_by BLOB NOT NULL REFERENCES accounts (id),
    asked_at_us INTEGER NOT NULL,
    text TEXT NOT NULL,
    answer TEXT,
    answered_at_us INTEGER
) STRICT;
CREATE INDEX report_questions_by_report ON report_questions (report, asked_at_us);

CREATE TABLE responder_actions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_us INTEGER NOT NULL,
    responder BLOB NOT NULL REFERENCES accounts (id),
    action TEXT NOT NULL,
    report BLOB,
    incident BLOB,
    vehicle BLOB,
    note TEXT NOT NULL
) STRICT;

CREATE TABLE watch_areas (
    id BLOB PRIMARY KEY NOT NULL,
    account BLOB NOT NULL REFERENCES accounts (id),
    label TEXT NOT NULL,
    created_at_us INTEGER NOT NULL
) STRICT;
CREATE INDEX watch_areas_by_account ON watch_areas (account, created_at_us);

-- One row per cell of an area: an incident's watchers are the rows of its cell.
CREATE TABLE watch_cells (
    cell INTEGER NOT NULL,
    area BLOB NOT NULL REFERENCES watch_areas (id) ON DELETE CASCADE,
    account BLOB NOT NULL,
    PRIMARY KEY (cell, area)
) STRICT, WITHOUT ROWID;
CREATE INDEX watch_cells_by_area ON watch_cells (area);

CREATE TABLE vehicles (
    id BLOB PRIMARY KEY NOT NULL,
    plate TEXT NOT NULL,
    -- The plate with confusable characters folded (Plate::folded): prefix searches.
    folded TEXT NOT NULL,
    region TEXT NOT NULL,
    make TEXT,
    model TEXT,
    colour TEXT,
    markings TEXT,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'suspected', 'cleared')),
    status_by BLOB REFERENCES accounts (id),
    status_reason TEXT,
    status_at_us INTEGER NOT NULL,
    last_confirmed_at_us INTEGER NOT NULL,
    created_at_us INTEGER NOT NULL,
    UNIQUE (plate, region)
) STRICT;
CREATE INDEX vehicles_by_folded ON vehicles (folded);

-- Each vehicle's folded trigrams (core::plate::plate_grams): partial and wildcard searches.
CREATE TABLE vehicle_grams (
    gram TEXT NOT NULL,
    vehicle BLOB NOT NULL REFERENCES vehicles (id),
    PRIMARY KEY (gram, vehicle)
) STRICT, WITHOUT ROWID;

CREATE TABLE vehicle_sightings (
    vehicle BLOB NOT NULL REFERENCES vehicles (id),
    incident BLOB NOT NULL REFERENCES incidents (id),
    cell INTEGER NOT NULL,
    seen_at_us INTEGER NOT NULL,
    PRIMARY KEY (vehicle, incident)
) STRICT;

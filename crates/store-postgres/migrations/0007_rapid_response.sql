-- The rapid-response network (issue 6): reports, incidents, questions, the responders' audit log,
-- watch areas, the vehicle registry.
--
-- What is not here is deliberate: no column for a reporter beyond the account id, none for
-- coordinates (places are H3 cells at the network's precision, as BIGINT), none for an officer's
-- name, face or address, none for anyone's location over time. A watch area keeps its cells, not
-- the point it was drawn around.

CREATE TABLE incidents (
    id UUID PRIMARY KEY,
    kind TEXT NOT NULL,
    cell BIGINT NOT NULL,
    observed_at_us BIGINT NOT NULL,
    description TEXT NOT NULL,
    how TEXT NOT NULL,
    verified_by UUID NOT NULL REFERENCES accounts (id),
    verified_at_us BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL,
    withdrawn_at_us BIGINT,
    note TEXT
);
CREATE INDEX incidents_by_cell ON incidents (cell, updated_at_us);

CREATE TABLE reports (
    id UUID PRIMARY KEY,
    reporter UUID NOT NULL REFERENCES accounts (id),
    kind TEXT NOT NULL,
    cell BIGINT NOT NULL,
    observed_at_us BIGINT NOT NULL,
    created_at_us BIGINT NOT NULL,
    expires_at_us BIGINT NOT NULL,
    description TEXT NOT NULL,
    -- The vehicles as the reporter described them (JSON list); the registry is its own table.
    vehicles TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('unverified', 'verified', 'merged', 'rejected', 'expired')),
    incident UUID REFERENCES incidents (id),
    decided_by UUID REFERENCES accounts (id),
    decided_at_us BIGINT,
    reason TEXT
);
CREATE INDEX reports_open ON reports (created_at_us) WHERE state = 'unverified';
CREATE INDEX reports_by_reporter ON reports (reporter, created_at_us);

CREATE TABLE report_questions (
    id UUID PRIMARY KEY,
    report UUID NOT NULL REFERENCES reports (id),
    asked_by UUID NOT NULL REFERENCES accounts (id),
    asked_at_us BIGINT NOT NULL,
    text TEXT NOT NULL,
    answer TEXT,
    answered_at_us BIGINT
);
CREATE INDEX report_questions_by_report ON report_questions (report, asked_at_us);

CREATE TABLE responder_actions (
    seq BIGSERIAL PRIMARY KEY,
    at_us BIGINT NOT NULL,
    responder UUID NOT NULL REFERENCES accounts (id),
    action TEXT NOT NULL,
    report UUID,
    incident UUID,
    vehicle UUID,
    note TEXT NOT NULL
);

CREATE TABLE watch_areas (
    id UUID PRIMARY KEY,
    account UUID NOT NULL REFERENCES accounts (id),
    label TEXT NOT NULL,
    created_at_us BIGINT NOT NULL
);
CREATE INDEX watch_areas_by_account ON watch_areas (account, created_at_us);

-- One row per cell of an area: an incident's watchers are the rows of its cell.
CREATE TABLE watch_cells (
    cell BIGINT NOT NULL,
    area UUID NOT NULL REFERENCES watch_areas (id) ON DELETE CASCADE,
    account UUID NOT NULL,
    PRIMARY KEY (cell, area)
);
CREATE INDEX watch_cells_by_area ON watch_cells (area);

CREATE TABLE vehicles (
    id UUID PRIMARY KEY,
    plate TEXT NOT NULL,
    -- The plate with confusable characters folded (Plate::folded): prefix searches, compared
    -- byte by byte (C collation) so a range scan is a prefix scan.
    folded TEXT COLLATE "C" NOT NULL,
    region TEXT NOT NULL,
    make TEXT,
    model TEXT,
    colour TEXT,
    markings TEXT,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'suspected', 'cleared')),
    status_by UUID REFERENCES accounts (id),
    status_reason TEXT,
    status_at_us BIGINT NOT NULL,
    last_confirmed_at_us BIGINT NOT NULL,
    created_at_us BIGINT NOT NULL,
    UNIQUE (plate, region)
);
CREATE INDEX vehicles_by_folded ON vehicles (folded);

-- Each vehicle's folded trigrams (core::plate::plate_grams): partial and wildcard searches.
CREATE TABLE vehicle_grams (
    gram TEXT COLLATE "C" NOT NULL,
    vehicle UUID NOT NULL REFERENCES vehicles (id),
    PRIMARY KEY (gram, vehicle)
);

CREATE TABLE vehicle_sightings (
    vehicle UUID NOT NULL REFERENCES vehicles (id),
    incident UUID NOT NULL REFERENCES incidents (id),
    cell BIGINT NOT NULL,
    seen_at_us BIGINT NOT NULL,
    PRIMARY KEY (vehicle, incident)
);

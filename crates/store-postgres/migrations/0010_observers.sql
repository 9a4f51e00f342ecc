-- Legal observers (issue 6): requests for observers at an incident, and each observer sent.
--
-- No responder's cell or availability is stored: where a responder is lives only in the
-- dispatcher's memory on the node, replaced by each refresh and forgotten when they stop.
-- (Numbered 0009, not 0008, to leave 0008 to a change made beside this one.)

CREATE TABLE observer_requests (
    incident UUID PRIMARY KEY REFERENCES incidents (id),
    requested_by UUID NOT NULL REFERENCES accounts (id),
    wanted INTEGER NOT NULL CHECK (wanted > 0),
    requested_at_us BIGINT NOT NULL,
    closed_at_us BIGINT
);
CREATE INDEX observer_requests_open ON observer_requests (requested_at_us) WHERE closed_at_us IS NULL;

CREATE TABLE observer_dispatches (
    incident UUID NOT NULL REFERENCES incidents (id),
    observer UUID NOT NULL REFERENCES accounts (id),
    display_name TEXT NOT NULL,
    accepted_at_us BIGINT NOT NULL,
    arrived_at_us BIGINT,
    done_at_us BIGINT,
    PRIMARY KEY (incident, observer)
);

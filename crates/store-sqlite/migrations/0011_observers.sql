-- Legal observers (issue 6): requests for observers at an incident, and each observer sent.
--
-- No responder's cell or availability is stored: where a responder is lives only in the
-- dispatcher's memory on the node, replaced by each refresh and forgotten when they stop.
-- (Numbered 0010, not 0009, to leave 0009 to a change made beside this one.)

CREATE TABLE observer_requests (
    incident BLOB PRIMARY KEY NOT NULL REFERENCES incidents (id),
    requested_by BLOB NOT NULL REFERENCES accounts (id),
    wanted INTEGER NOT NULL CHECK (wanted > 0),
    requested_at_us INTEGER NOT NULL,
    closed_at_us INTEGER
) STRICT;
CREATE INDEX observer_requests_open ON observer_requests (requested_at_us) WHERE closed_at_us IS NULL;

CREATE TABLE observer_dispatches (
    incident BLOB NOT NULL REFERENCES incidents (id),
    observer BLOB NOT NULL REFERENCES accounts (id),
    display_name TEXT NOT NULL,
    accepted_at_us INTEGER NOT NULL,
    arrived_at_us INTEGER,
    done_at_us INTEGER,
    PRIMARY KEY (incident, observer)
) STRICT;

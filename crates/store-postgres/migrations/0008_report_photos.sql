-- Photos attached to reports (issue 6). The bytes are the server's re-encoding, in object storage
-- under reports/<report>/<photo>.jpg; this row has no column for a file name, a device, a time
-- the camera wrote or a place: the upload's metadata is dropped before anything is stored.

CREATE TABLE report_photos (
    id UUID PRIMARY KEY,
    report UUID NOT NULL REFERENCES reports (id),
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_at_us BIGINT NOT NULL,
    -- A responder's choice to show it to subscribers with the verified incident; off by default.
    shareable BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX report_photos_by_report ON report_photos (report, created_at_us);

-- An incident's photos are those of the reports verified or merged into it.
CREATE INDEX reports_by_incident ON reports (incident) WHERE incident IS NOT NULL;

-- Reading the responders' audit log (issue 6) a page at a time, newest first, by responder, by
-- report or by incident: each filter walks its own index in `seq` order.
CREATE INDEX responder_actions_by_responder ON responder_actions (responder, seq);
CREATE INDEX responder_actions_by_report ON responder_actions (report, seq) WHERE report IS NOT NULL;
CREATE INDEX responder_actions_by_incident ON responder_actions (incident, seq) WHERE incident IS NOT NULL;

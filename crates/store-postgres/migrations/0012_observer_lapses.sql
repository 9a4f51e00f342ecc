-- Legal observers (issue 6): an observer on the way who marks nothing in time
-- (`[observers] on_the_way_ttl_secs`) is let go, and the row says when. No mark counts after it.
ALTER TABLE observer_dispatches ADD COLUMN lapsed_at_us BIGINT;

-- A recording's chunk offsets need no unique index: `append_batch` only accepts a chunk at its
-- upload's current offset, which keeps them unique. A unique index would instead let one
-- zero-length chunk (followed by another chunk at the same offset) fail a whole group commit,
-- with every other recording's chunks in it.
--
-- Chunks are keyed by their log index, so a batch appends them at the end of the table; this
-- index by recording serves `chunks_of`.
DROP INDEX chunks_by_recording;
CREATE INDEX chunks_by_recording ON chunks (recording, byte_offset);

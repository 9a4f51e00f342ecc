-- The fingerprint of each key file every node of a deployment shares (log.key, messages.key,
-- push.key), recorded by the first node to start and checked by every start after: a node given
-- another key refuses to serve. A fingerprint reveals nothing of a secret (see amparo's
-- shared_keys module).
CREATE TABLE deployment_keys (
    name TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL
) STRICT;

-- Web Push subscriptions (issue 5): the browsers that get an account's alerts.
--
-- The endpoint (the push service's URL for one browser) is the key: a browser that subscribes
-- again replaces its row, for whichever account it now signs in to. At most a few per account;
-- the store checks the cap in the transaction that saves one (one writer at a time).

CREATE TABLE push_subscriptions (
    endpoint TEXT PRIMARY KEY NOT NULL,
    account BLOB NOT NULL REFERENCES accounts (id),
    p256dh BLOB NOT NULL CHECK (length(p256dh) = 65),
    auth BLOB NOT NULL CHECK (length(auth) = 16),
    language TEXT NOT NULL,
    created_at_us INTEGER NOT NULL
) STRICT;
CREATE INDEX push_subscriptions_by_account ON push_subscriptions (account, created_at_us);

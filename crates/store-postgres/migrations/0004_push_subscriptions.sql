-- Web Push subscriptions (issue 5): the browsers that get an account's alerts.
--
-- The endpoint (the push service's URL for one browser) is the key: a browser that subscribes
-- again replaces its row, for whichever account it now signs in to. The per-account cap is checked
-- in the transaction that saves one, after locking the account's row (SELECT ... FOR UPDATE), so
-- two saves for one account take turns.

CREATE TABLE push_subscriptions (
    endpoint TEXT PRIMARY KEY,
    account UUID NOT NULL REFERENCES accounts (id),
    p256dh BYTEA NOT NULL CHECK (length(p256dh) = 65),
    auth BYTEA NOT NULL CHECK (length(auth) = 16),
    language TEXT NOT NULL,
    created_at_us BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_by_account ON push_subscriptions (account, created_at_us);

-- Small facts the bot keeps about itself across restarts, e.g. the fingerprint of the slash
-- commands it last published globally (so an unchanged start makes no sync call).
CREATE TABLE bot_state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Per-server settings, the announcement ledger (article x server, exactly once) and the auto-replay queue.
CREATE TABLE guild_settings (
    guild_id            INTEGER PRIMARY KEY,
    announce_channel_id INTEGER,
    auto_replay         TEXT    NOT NULL DEFAULT 'off',  -- 'off', 'threads' or 'single'
    pace                TEXT    NOT NULL DEFAULT 'fast',
    include_spam        INTEGER NOT NULL DEFAULT 0,
    admin_role_id       INTEGER,
    baseline_article_id INTEGER NOT NULL DEFAULT 0,  -- articles up to this id predate the feed: not announced
    updated_at          TEXT    NOT NULL
);

CREATE TABLE announcements (
    article_id   INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    guild_id     INTEGER NOT NULL,
    channel_id   INTEGER NOT NULL,
    state        TEXT    NOT NULL,  -- 'posting' (write-ahead) or 'posted'
    message_id   INTEGER,           -- the card (for a forum: the post's starter message)
    thread_id    INTEGER,           -- forum: the post
    content_hash TEXT,              -- the article version the card shows; a newer one edits the card
    created_at   TEXT    NOT NULL,
    PRIMARY KEY (article_id, guild_id)
);

CREATE TABLE replay_queue (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    channel_id   INTEGER NOT NULL,
    article_key  TEXT    NOT NULL,
    mode         TEXT    NOT NULL,
    pace         TEXT    NOT NULL,
    include_spam INTEGER NOT NULL,
    card_message_id     INTEGER,
    container_thread_id INTEGER,
    created_at   TEXT    NOT NULL
);

CREATE INDEX replay_queue_channel ON replay_queue (channel_id, id);

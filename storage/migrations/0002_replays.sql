-- Replays and their ledger: every step of a replay, what was posted for it, and where.
CREATE TABLE replays (
    id                  INTEGER PRIMARY KEY,
    article_id          INTEGER NOT NULL REFERENCES articles(id),
    article_key         TEXT    NOT NULL,
    guild_id            INTEGER NOT NULL,
    channel_id          INTEGER NOT NULL,  -- the text or forum channel the replay posts into
    channel_kind        TEXT    NOT NULL,  -- 'text' or 'forum'
    mode                TEXT    NOT NULL,  -- 'threads' or 'single'
    pace                TEXT    NOT NULL,  -- 'fast', 'steady' or 'natural'
    include_spam        INTEGER NOT NULL,
    state               TEXT    NOT NULL,  -- 'running', 'paused', 'stopped', 'finished', 'undone'
    reason              TEXT,              -- why it is paused or stopped
    card_message_id     INTEGER,           -- the article card the replay hangs from
    card_posted         INTEGER NOT NULL DEFAULT 0,  -- 1 when this replay posted the card (undo deletes it)
    container_thread_id INTEGER,           -- single mode / forum: the one thread holding everything
    started_by          INTEGER,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL
);

-- At most one unfinished replay per channel.
CREATE UNIQUE INDEX replays_one_active_per_channel ON replays (channel_id)
    WHERE state IN ('running', 'paused');

CREATE TABLE replay_steps (
    replay_id      INTEGER NOT NULL REFERENCES replays(id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    comment_index  INTEGER NOT NULL,
    comment_key    TEXT    NOT NULL,
    username       TEXT    NOT NULL,
    parts          TEXT    NOT NULL,  -- JSON array of message bodies, frozen when the replay starts
    root_seq       INTEGER NOT NULL,  -- the step whose thread holds this one (itself for top level)
    in_thread      INTEGER NOT NULL,
    opens_thread   TEXT,              -- name of the thread started from this step's first message
    reply_to_seq   INTEGER,           -- step named in the "replying to" line
    status         TEXT    NOT NULL DEFAULT 'pending',  -- 'pending', 'sending', 'done'
    sending_part   INTEGER,           -- the part being sent when status = 'sending'
    message_ids    TEXT    NOT NULL DEFAULT '[]',  -- JSON array, one id per part posted
    location_id    INTEGER,           -- channel or thread the parts were posted in
    thread_id      INTEGER,           -- thread started from the first part
    PRIMARY KEY (replay_id, seq)
);

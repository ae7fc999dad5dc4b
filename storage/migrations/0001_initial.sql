-- Articles and their comment trees, with full-text search over both.
CREATE TABLE articles (
    id            INTEGER PRIMARY KEY,
    key           TEXT    NOT NULL UNIQUE,
    format        TEXT    NOT NULL,
    source_path   TEXT,
    source_url    TEXT,
    content_hash  TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    caption       TEXT,
    paragraphs    TEXT    NOT NULL,  -- JSON array of strings
    summary       TEXT    NOT NULL,
    warnings      TEXT    NOT NULL,  -- JSON array of ParseWarning
    comment_count INTEGER NOT NULL,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);

CREATE TABLE comments (
    id           INTEGER PRIMARY KEY,
    article_id   INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,  -- pre-order index within the article
    key          TEXT    NOT NULL,  -- stable identity across edits of the source
    parent       INTEGER,           -- position of the parent comment, NULL for top level
    depth        INTEGER NOT NULL,
    author       TEXT    NOT NULL,
    text         TEXT    NOT NULL,
    spam         INTEGER NOT NULL,
    spam_reasons TEXT    NOT NULL,  -- JSON array of strings
    deleted      INTEGER NOT NULL,
    line         INTEGER,
    source_id    TEXT,
    created_at   TEXT,
    UNIQUE (article_id, position),
    UNIQUE (article_id, key)
);

CREATE INDEX comments_author ON comments (author);

-- Article text is indexed by the loader (rowid = articles.id; body = paragraphs joined).
CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title, caption, body, tokenize='unicode61 remove_diacritics 2'
);

-- Comment text is an external-content index kept in step by triggers, so every writer agrees.
CREATE VIRTUAL TABLE comments_fts USING fts5 (
    author, text, content='comments', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);

CREATE TRIGGER comments_ai AFTER INSERT ON comments BEGIN
    INSERT INTO comments_fts (rowid, author, text) VALUES (new.id, new.author, new.text);
END;

CREATE TRIGGER comments_ad AFTER DELETE ON comments BEGIN
    INSERT INTO comments_fts (comments_fts, rowid, author, text)
    VALUES ('delete', old.id, old.author, old.text);
END;

CREATE TRIGGER comments_au AFTER UPDATE ON comments BEGIN
    INSERT INTO comments_fts (comments_fts, rowid, author, text)
    VALUES ('delete', old.id, old.author, old.text);
    INSERT INTO comments_fts (rowid, author, text) VALUES (new.id, new.author, new.text);
END;

-- What the bot's reads need at a million comments (bench/RESULTS_bot.md has the figures).

-- /article list and autocomplete read this small index in order instead of every article row.
CREATE INDEX articles_newest ON articles (created_at DESC, key, title, comment_count);

-- /article stats: authors and their spam/deleted flags in one covering index (replacing the
-- author-only one), and the deepest comments without a full scan.
DROP INDEX comments_author;
CREATE INDEX comments_author_flags ON comments (author, spam, deleted);
CREATE INDEX comments_depth ON comments (depth, article_id);

-- Prefix indexes: `t*`, `th*` and `the*` each read one precomputed doclist instead of merging the
-- doclists of every term they cover (hundreds of ms for a short prefix of frequent words).
-- The triggers of 0001 name comments_fts and keep working on the rebuilt table.
DROP TABLE comments_fts;
CREATE VIRTUAL TABLE comments_fts USING fts5 (
    author, text, content='comments', content_rowid='id', tokenize='unicode61 remove_diacritics 2',
    prefix='1 2 3'
);
INSERT INTO comments_fts (comments_fts) VALUES ('rebuild');

-- articles_fts holds its own text, so it is copied into the new table rather than rebuilt.
CREATE VIRTUAL TABLE articles_fts_prefixed USING fts5 (
    title, caption, body, tokenize='unicode61 remove_diacritics 2', prefix='1 2 3'
);
INSERT INTO articles_fts_prefixed (rowid, title, caption, body)
    SELECT rowid, title, caption, body FROM articles_fts;
DROP TABLE articles_fts;
ALTER TABLE articles_fts_prefixed RENAME TO articles_fts;

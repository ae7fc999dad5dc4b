-- Prefix indexes 1, 2 and 3 only (issue 14, measured both ways at a million comments,
-- bench/RESULTS.md): without a 4-character index, 4-character prefixes merge the few terms they
-- cover in p50 4.6 ms, p99 17 ms, within search's goal, while the index cost the loader 7.7 µs per
-- comment (a fifth of its writing). Rebuilt from the comments, so an existing store keeps searching.
DROP TABLE comments_fts;
CREATE VIRTUAL TABLE comments_fts USING fts5 (
    author, text, content='comments', content_rowid='id', tokenize='unicode61 remove_diacritics 2',
    prefix='1 2 3'
);
INSERT INTO comments_fts (comments_fts) VALUES ('rebuild');
INSERT INTO comments_fts (comments_fts) VALUES ('optimize');

CREATE VIRTUAL TABLE articles_fts_prefixed USING fts5 (
    title, caption, body, tokenize='unicode61 remove_diacritics 2', prefix='1 2 3'
);
INSERT INTO articles_fts_prefixed (rowid, title, caption, body)
    SELECT rowid, title, caption, body FROM articles_fts;
DROP TABLE articles_fts;
ALTER TABLE articles_fts_prefixed RENAME TO articles_fts;

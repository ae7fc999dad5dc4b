-- Comments' prefix indexes 2 and 3 only (issue 14): the one-character index cost the loader 2.4 µs of
-- CPU per comment (24.1 -> 21.7 µs of writing at 1,000 files, bench/RESULTS.md) and serves nothing
-- but a one-letter prefix (`t*`), a query matching nearly every comment, which FTS5 still answers
-- without it (about 0.2 s at a million comments, newest first). Rebuilt from the comments, so an
-- existing store keeps searching; FTS5's automerge (0011) lives in the table's own config, so it is
-- set again. Articles keep prefixes 1 2 3: there are a hundred times fewer of them.
DROP TABLE comments_fts;
CREATE VIRTUAL TABLE comments_fts USING fts5 (
    author, text, content='comments', content_rowid='id', tokenize='unicode61 remove_diacritics 2',
    prefix='2 3'
);
INSERT INTO comments_fts (comments_fts) VALUES ('rebuild');
INSERT INTO comments_fts (comments_fts) VALUES ('optimize');
INSERT INTO comments_fts (comments_fts, rank) VALUES ('automerge', 16);

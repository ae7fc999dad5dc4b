-- /article stats' authors and top commenters from one row per author (issue 14), kept by the writer
-- one statement per batch of articles, instead of an index over every comment: `comments_author_flags`
-- cost the loader ~3.5-4 µs of CPU a comment (bench/RESULTS.md, sixth pass), and the stats read a
-- few thousand rows instead of scanning a million index entries (~0.15 s at a million comments).
-- An author whose comments were all edited away keeps a row of zeros (the stats skip it).
CREATE TABLE author_counts (
    author   TEXT    PRIMARY KEY,
    comments INTEGER NOT NULL,  -- every comment stored under this name
    not_spam INTEGER NOT NULL,  -- of them, those not flagged as spam (what top commenters rank by)
    spam     INTEGER NOT NULL,
    deleted  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO author_counts (author, comments, not_spam, spam, deleted)
    SELECT author, count(*), count(*) - sum(spam), sum(spam), sum(deleted) FROM comments
    GROUP BY author;
DROP INDEX comments_author_flags;

-- /article stats' deepest thread from a column of each article (issue 14), not from an index over
-- every comment: `comments_depth (depth, article_id)` cost the loader 2.0-2.7 µs of CPU a comment
-- (bench/RESULTS.md, sixth pass), where the writer knows each article's deepest comment already.
-- Existing articles get theirs from their comments.
ALTER TABLE articles ADD COLUMN max_depth INTEGER NOT NULL DEFAULT 0;
UPDATE articles SET max_depth = coalesce(
    (SELECT max(depth) FROM comments WHERE comments.article_id = articles.id), 0
);
DROP INDEX comments_depth;
CREATE INDEX articles_deepest ON articles (max_depth DESC, key);

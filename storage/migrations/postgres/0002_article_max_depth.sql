-- /article stats' deepest thread from a column of each article (issue 14, as SQLite's 0013): the
-- loader knows each article's deepest comment, and no index over every comment is kept for it.
ALTER TABLE articles ADD COLUMN max_depth BIGINT NOT NULL DEFAULT 0;
UPDATE articles SET max_depth = coalesce(
    (SELECT max(depth) FROM comments WHERE comments.article_id = articles.id), 0
);
DROP INDEX comments_depth;
CREATE INDEX articles_deepest ON articles (max_depth DESC, key);

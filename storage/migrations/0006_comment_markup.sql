-- What the replay renderer needs beside the plain text (which search and summaries keep using):
-- the comment's own markup and its format ('html' for Disqus and Hacker News, 'markdown' for
-- Reddit; NULL for sources without markup) and its score where the source has one.
ALTER TABLE comments ADD COLUMN markup TEXT;
ALTER TABLE comments ADD COLUMN markup_format TEXT;
ALTER TABLE comments ADD COLUMN score INTEGER;

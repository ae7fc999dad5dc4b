-- FTS5 merges a level's segments once 16 of them are there, not 4 (issue 14). The loader writes one
-- segment or a few per batch of 64 files; with merges four at a time it rewrote most of the index
-- again and again while loading. Measured (bench/RESULTS.md): writing 1,000 files 30.6 -> 24.3 µs
-- of CPU per comment, and search at a million comments indexed batch by batch the same as before
-- (p99 of every kind within 1 ms of automerge 4). Kept in the index's own config table.
INSERT INTO comments_fts (comments_fts, rank) VALUES ('automerge', 16);

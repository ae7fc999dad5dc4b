-- Search keys: prefixes and word pairs indexed as lexemes of their own, so that a `th*` prefix and a
-- "two words" phrase are one GIN posting list each (bench/RESULTS_pg.md, issue 15).
--
-- Without them, a prefix merged the posting lists of every word it covers before returning a row
-- (106,000 rows for `za*`, 40 ms), and the GIN index, which holds no positions, answered a phrase
-- with every row holding both words, each then rechecked from the table (44,000 rows for "he is",
-- 200-450 ms). The planner, with statistics on the keys, also knows how common a prefix or a
-- phrase is, so a broad one is read from the newest rows and a narrow one from the index.
--
-- Each document's search vector gets, after its words, keys that start with a space (no word of the
-- parser ever holds one, so no word can match them, nor a `word:*` prefix):
-- - ' ' || the first 2, 3 and 4 characters of every word at least that long: `th*` is ' th';
-- - ' ' || a || ' ' || b for every word a at position p and word b at p + 1: the phrase "a b" is
--   ' a b', exactly (the same positions `<->` reads), and a longer phrase needs each of its pairs.
-- Keys have no positions, so ranking (ts_rank_cd with the query's own words) is unchanged.
-- storage/search_pg.py writes queries with these keys.
CREATE FUNCTION threadreplay_search_keys(doc tsvector) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    keys text[];
BEGIN
    keys := ARRAY(
        SELECT ' ' || left(l, n)
        FROM unnest(tsvector_to_array(doc)) AS l, generate_series(2, 4) AS n
        WHERE length(l) >= n
        UNION ALL
        SELECT ' ' || a.lexeme || ' ' || b.lexeme
        FROM (SELECT u.lexeme, p FROM unnest(doc) AS u, unnest(u.positions) AS p) AS a
        JOIN (SELECT u.lexeme, p FROM unnest(doc) AS u, unnest(u.positions) AS p) AS b
            ON b.p = a.p + 1
    );
    -- A tsvector holds at most 1 MB of lexemes: a document so long (hundreds of KB of text) that
    -- its keys would not fit keeps its words only, so it still loads (and is found by its words).
    IF octet_length(array_to_string(keys, '')) > 262144 THEN
        RETURN ''::tsvector;
    END IF;
    RETURN array_to_tsvector(keys);
END
$$;

CREATE FUNCTION threadreplay_keyed(doc tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN doc || threadreplay_search_keys(doc);

-- The index builds below sort far fewer runs with more memory (this transaction only).
SET LOCAL maintenance_work_mem = '256MB';

-- A comment's vector stays in its row (STORAGE MAIN) unless the row would not fit a page: a broad
-- word is found by reading the newest rows and testing each vector, and a vector moved out to the
-- TOAST table (most rows over 2 kB, now that the keys make vectors ~3x larger) cost a lookup there
-- per row tested, twice the time of reading a larger row.
ALTER TABLE comments DROP COLUMN search;
ALTER TABLE comments
    ADD COLUMN search tsvector GENERATED ALWAYS AS (threadreplay_keyed(
        setweight(to_tsvector('threadreplay', author), 'A')
        || setweight(to_tsvector('threadreplay', text), 'B')
    )) STORED,
    ALTER COLUMN search SET STORAGE MAIN;
CREATE INDEX comments_search ON comments USING gin (search);

ALTER TABLE articles_fts DROP COLUMN search;
ALTER TABLE articles_fts ADD COLUMN search tsvector GENERATED ALWAYS AS (threadreplay_keyed(
    setweight(to_tsvector('threadreplay', title), 'A')
    || setweight(to_tsvector('threadreplay', caption), 'B')
    || setweight(to_tsvector('threadreplay', body), 'C')
)) STORED;
CREATE INDEX articles_fts_search ON articles_fts USING gin (search);

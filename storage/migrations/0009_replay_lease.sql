-- Which process runs a replay, and until when (renewed while it runs): at most one process at a
-- time posts a replay's comments; a process that died lets its lease expire and another takes over.
ALTER TABLE replays ADD COLUMN lease_owner TEXT;
ALTER TABLE replays ADD COLUMN lease_expires TEXT;

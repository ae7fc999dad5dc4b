-- How a replayed comment looks, frozen with its step like its name and parts: the author's avatar
-- address and the context shown in its first message's subtext line (score, original time).
ALTER TABLE replay_steps ADD COLUMN avatar_url TEXT;
ALTER TABLE replay_steps ADD COLUMN context TEXT;
-- Whether Discord shows link previews under replayed comments (0: the suppress-embeds flag is set).
ALTER TABLE guild_settings ADD COLUMN link_previews INTEGER NOT NULL DEFAULT 1;

"""threadreplay's Discord side, loadable into any discord.py bot: `await bot.load_extension("bot")`."""

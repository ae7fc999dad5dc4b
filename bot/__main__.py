"""`python -m bot`: start the bot, like `threadreplay run`."""

import sys

from bot.cli import main

sys.exit(main(["run", *sys.argv[1:]]))

"""Storage: article models, source parsers, the loader and the SQLite store (never imports discord)."""

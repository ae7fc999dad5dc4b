"""Replaying a stored discussion into Discord: plan, ledger, pacing, engine."""

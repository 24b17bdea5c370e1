"""Seeded generators of opencode-style sessions (message rows with their part rows)."""

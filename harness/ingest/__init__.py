"""Rows from elsewhere into harness datasets: opencode databases (``opencode``), anonymised on request."""

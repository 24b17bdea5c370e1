"""Rows from elsewhere into harness datasets: opencode databases (``opencode``), anonymised on
request, and an application's own JSON rows (``rows``), their schema inferred on the way."""

"""What a run's figures say: tidy queries (``selection``), findings, the answer, per-runtime tables,
the verdict between two runs and ``compare``, the terminal summary, advice, the noise trial, and the
report with its notebooks, plots and display helpers. Importing it loads no strategy, no SQLite and
no measurer: it reads results only."""

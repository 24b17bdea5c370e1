"""Runs: a plan as data (``plans``), its jobs run each in a fresh process (``runner``) under one life
for bench and advise (``lifecycle``), the run directory and its tidy table (``results``, ``files``,
``suite``), one runner per directory (``lock``), what else the machine did (``machine``) and whether
what was read is what was written (``integrity``)."""

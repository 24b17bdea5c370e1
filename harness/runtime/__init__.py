"""Runtimes: what runs a measurement job in a fresh process of its own.

A runtime (``base.Runtime``) is CPython or PyPy in a virtual environment of its own
(``python.PythonRuntime``), or Bun with the JS job runner (``bun.BunRuntime``). Each says how a job
starts (``job_command``), what it cannot run (``refusal``), which strategies and measurers it has,
and the environment it reports. ``resolve`` turns ``--python`` into runtimes, choosing the kind
once; ``recorded`` rebuilds them from a run's manifest. Finding Pythons is ``discovery``, their
virtual environments ``venvs``, running a probe ``process``; Bun is installed on demand
(``bun_install``).

"Runtime" is the code's one word for the concept: Bun is no Python interpreter, and the analysis
already speaks of per-runtime tables. The published JSON keeps its older word (a job's
``interpreter``, a manifest's ``interpreters``), as does the ``--python`` option.

Driver side: this package may use Python 3.10+.
"""

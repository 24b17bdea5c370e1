"""The job protocol every runner speaks (the Python measurers and the JS runner Bun runs): a job file
and its checks, a result and its seal, the limits and versions (``protocol.json``, read by both), and
the environment a result records. It imports nothing of the harness above the base."""

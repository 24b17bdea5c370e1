"""A third-party strategy, as a separate distribution would ship it: a plain ``dict`` copy of the
fixed strategy's objects, found through the ``harness.strategies`` entry-point group."""

from harness.strategies.fixed import Fixed


class ExampleStrategy(Fixed):
    name = "example-plugin"
    description = "third-party example: the fixed strategy, loaded from an entry point"

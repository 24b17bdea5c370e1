"""shape-harness: what varied object shapes cost Python, and which hydration strategy removes it."""

__version__ = "0.2.0"

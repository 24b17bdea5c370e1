"""shape-harness: what varied object shapes cost Python, and which hydration strategy removes it."""

__version__ = "0.1.0"

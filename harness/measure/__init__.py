"""Measurers: each observes one aspect of a strategy running a workload (shapes, time, GC, memory)."""

"""Data to try and measure with: the spec's demo sample and synthetic events at any volume.

Not part of the runtime API NovaOS imports; the CLI, tests and benchmarks use them.
"""

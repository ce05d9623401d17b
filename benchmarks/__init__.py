"""On-demand benchmarks of datalife against its peers (not part of the test suite).

Run them all with ``python -m benchmarks`` or one with ``python -m benchmarks.<topic>``; the
shared data generator is :mod:`benchmarks.generate`. See ``benchmarks/README.md``.
"""

"""The project's own benchmark: ``python benchmarks/run.py --orders 1000000``.

The app, an idiomatic DRF feed and two hand-written ones, served side by side by
one gunicorn from the example shop's models; ``run.py`` explains the figures.
"""

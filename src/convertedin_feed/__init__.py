"""Serve the Converted.in pull feeds from a Django shop's own models.

Nothing is imported here on purpose: importing the package must never touch the
app registry, so settings modules and ``INSTALLED_APPS`` can name it freely.
"""

__version__ = "0.1.0"

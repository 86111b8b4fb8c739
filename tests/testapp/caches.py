"""A cache backend whose server is down: every call fails, as Redis does when unreachable."""

from django.core.cache.backends.base import BaseCache


class UnreachableCache(BaseCache):
    def __init__(self, location, params):
        super().__init__(params)

    def get(self, key, default=None, version=None):
        raise ConnectionError("cache server unreachable")

    def set(self, key, value, timeout=None, version=None):
        raise ConnectionError("cache server unreachable")

    def clear(self):
        pass

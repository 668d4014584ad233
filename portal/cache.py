"""Django's Redis cache, keeping one Redis client per server instead of one per command.

Django's RedisCacheClient.get_client() builds a new redis.Redis for every cache call. The
connections come from a shared pool either way, but redis-py 8 fills a table of about 170
response handlers in each client it builds: keeping one took a public page served from the
cache from 1.08 to 0.79 ms (docs/performance.md). A redis.Redis is thread-safe and holds no
connection of its own, so one per pool is enough.
"""

from django.core.cache.backends import redis as django_redis


class ReusingRedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key: str | None = None, *, write: bool = False) -> object:
        index = self._get_connection_pool_index(write)
        if index not in self._clients:
            self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return self._clients[index]


class RedisCache(django_redis.RedisCache):
    """settings.CACHES backend: django.core.cache.backends.redis.RedisCache, faster."""

    def __init__(self, server: str, params: dict) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

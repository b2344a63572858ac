"""Rates: each key has its own; requests without a key share one per address."""

from rest_framework.throttling import SimpleRateThrottle

from newsroom.auth import client_ip


class PerKeyThrottle(SimpleRateThrottle):
    scope = "key"

    def get_cache_key(self, request, view):
        if request.auth is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class PerAddressThrottle(SimpleRateThrottle):
    scope = "address"

    def get_cache_key(self, request, view):
        if request.auth is not None:
            return None
        # The address the proxy saw, as the sign-in throttles count it (newsroom/auth.py).
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}

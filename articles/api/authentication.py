"""Who is asking: a request with a key is its integration's; one without is anyone's."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from articles.models import ApiKey


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """A key in `Authorization: Key <key>`, or in `?key=` as Ghost's clients send it.

    No key is no error: the API is public. A wrong or revoked key is a 401, so that an
    integration whose key was revoked learns it at once instead of quietly seeing less.
    """

    keyword = "Key"

    def authenticate(self, request):
        secret = self.secret_of(request)
        if secret is None:
            return None
        key = ApiKey.find(secret)
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        return (None, key)

    def secret_of(self, request) -> str | None:
        words = authentication.get_authorization_header(request).split()
        if words and words[0].decode("latin-1").lower() == self.keyword.lower():
            if len(words) != 2:
                raise exceptions.AuthenticationFailed("Give the key after “Key ”, and only it.")
            return words[1].decode("latin-1")
        return request.query_params.get("key") or None

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI document describes the key."""

    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Key <key>`, or `?key=<key>` in the address. Optional: without a "
            "key the API serves what readers see, at a rate per address.",
        }

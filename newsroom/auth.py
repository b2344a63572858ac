"""Staff sign-in: the admin's login page and the password reset pages, both throttled.

Counts live in the Django cache (local memory, or Redis when REDIS_URL is set), in fixed
windows that start at the first counted try; while Redis is away, each process counts in its
own memory instead, so guessing is still stopped. A refused try never reaches the password
check, and the answer never depends on whether the account exists: counts are kept per name
typed, not per account.
"""

import hashlib
from datetime import timedelta
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from newsroom.cache_backends import CacheUnavailable

# Where tries are counted while the cache cannot count them (Redis away): this process only,
# so with several processes an attacker gets a few more tries, but never unlimited ones.
local_counts = LocMemCache("newsroom-throttle", {"OPTIONS": {"MAX_ENTRIES": 10_000}})


def client_ip(request) -> str:
    """Return the visitor's address: the proxy's header when configured, else REMOTE_ADDR."""
    header = settings.THROTTLE_CLIENT_IP_HEADER
    forwarded = request.headers.get(header, "") if header else ""
    # Only the last entry was written by our own proxy; earlier ones are the visitor's say-so.
    return forwarded.split(",")[-1].strip() or request.META.get("REMOTE_ADDR", "")


def throttle_key(scope: str, value: str) -> str:
    # Hashed: typed names may hold anything, and cache keys must stay short and plain.
    digest = hashlib.sha256(value.casefold().encode()).hexdigest()
    return f"throttle:{scope}:{digest}"


def limits_reached(limits: dict[str, int]) -> bool:
    """True if any counter has reached its limit, in the cache or in this process."""
    counts = cache.get_many(list(limits))
    # Counts made here while Redis was away still hold after it is back.
    local = local_counts.get_many(list(limits))
    return any(max(counts.get(key, 0), local.get(key, 0)) >= limit for key, limit in limits.items())


def count_try(limits: dict[str, int], seconds: int) -> None:
    for key in limits:
        try:
            increment(cache, key, seconds)
        except CacheUnavailable:
            increment(local_counts, key, seconds)


def increment(counts, key: str, seconds: int) -> None:
    # add() starts a window only if none is open; incr() keeps the window's end.
    counts.add(key, 0, seconds)
    try:
        counts.incr(key)
    except CacheUnavailable:
        raise  # Redis is away: count_try counts here instead
    except ValueError:  # the window ended between the two calls
        counts.set(key, 1, seconds)


def login_limits(request, username: str) -> dict[str, int]:
    return {
        throttle_key("login-username", username): settings.LOGIN_FAILURES_PER_USERNAME,
        throttle_key("login-ip", client_ip(request)): settings.LOGIN_FAILURES_PER_IP,
    }


def forget_login_failures(username: str) -> None:
    """Clear one username's failures. The address's count stays: a login of one's own
    must not reset the count that stops guessing at everyone else's."""
    key = throttle_key("login-username", username)
    cache.delete(key)
    local_counts.delete(key)


def drop_unknown_next(request) -> None:
    """Forget a next= address that is not one of this site's pages, so a login lands on the
    desk instead of on a 404 or wherever a crafted link wanted (any path under /admin/ that
    is not a page resolves to the admin's nameless catch-all, which only answers 404)."""
    for name in ("GET", "POST"):
        params = getattr(request, name)
        target = params.get(REDIRECT_FIELD_NAME)
        if target is None or is_page_of_this_site(target, request):
            continue
        params = params.copy()
        del params[REDIRECT_FIELD_NAME]
        setattr(request, name, params)


def is_page_of_this_site(target: str, request) -> bool:
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return False
    try:
        match = resolve(unquote(urlsplit(target).path))
    except Resolver404:
        return False
    return match.url_name is not None


class ThrottledLoginForm(AdminAuthenticationForm):
    """The admin's login form, which stops checking passwords once the limits are reached."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "throttled": (
            "Too many failed attempts to log in. Wait %(minutes)s minutes, then try again."
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        if not (username and self.cleaned_data.get("password")):
            return super().clean()  # a field is missing: nothing was checked, nothing to count
        limits = login_limits(self.request, username)
        if limits_reached(limits):
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": settings.LOGIN_THROTTLE_SECONDS // 60},
            )
        try:
            cleaned_data = super().clean()
        except ValidationError:
            count_try(limits, settings.LOGIN_THROTTLE_SECONDS)
            raise
        forget_login_failures(username)
        return cleaned_data


@login_not_required
@never_cache
def login(request):
    """The admin's login page: 429 once throttled; a session it starts has a fixed end."""
    drop_unknown_next(request)
    response = admin.site.login(request)
    form = getattr(response, "context_data", {}).get("form")
    if form is not None:  # the page again: a refused or missing password
        if form.has_error(NON_FIELD_ERRORS, "throttled"):
            response.status_code = 429
    elif request.method == "POST":  # a redirect after a valid password: a new session
        # A fixed end, so a session used all day still ends a working day after log-in.
        request.session.set_expiry(timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE))
    return response


class AdminLookMixin:
    """Give Django's password pages the admin's header and title."""

    def get_context_data(self, **kwargs):
        return {**admin.site.each_context(self.request), **super().get_context_data(**kwargs)}


class StaffPasswordResetForm(PasswordResetForm):
    def get_users(self, email):
        """Only active staff get a reset link; nobody else can log in here."""
        return (user for user in super().get_users(email) if user.is_staff)


class PasswordResetView(AdminLookMixin, auth_views.PasswordResetView):
    """Ask for a reset link. The answer is the same whether or not the address is known."""

    form_class = StaffPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    refused = "Too many reset requests. Wait %(minutes)s minutes, then try again."

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        limits = {
            throttle_key("reset-email", email): settings.PASSWORD_RESETS_PER_EMAIL,
            throttle_key("reset-ip", client_ip(self.request)): settings.PASSWORD_RESETS_PER_IP,
        }
        if limits_reached(limits):
            minutes = settings.PASSWORD_RESET_THROTTLE_SECONDS // 60
            # On the field: the admin's template shows no form-wide errors on this page.
            form.add_error("email", ValidationError(self.refused, params={"minutes": minutes}))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        count_try(limits, settings.PASSWORD_RESET_THROTTLE_SECONDS)
        # Links in email use the public address, never the Host header of the request.
        self.extra_email_context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
        return super().form_valid(form)


class PasswordResetDoneView(AdminLookMixin, auth_views.PasswordResetDoneView):
    pass


class PasswordResetConfirmView(AdminLookMixin, auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        # Whoever set a new password through the emailed link owns the account: let them in
        # even if someone else's guessing has locked its username.
        forget_login_failures(form.user.get_username())
        return super().form_valid(form)


class PasswordResetCompleteView(AdminLookMixin, auth_views.PasswordResetCompleteView):
    pass

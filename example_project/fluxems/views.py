"""The fluxems pages: home, sign in and out, and the Workspace chooser.

Sign-in sets the ``session`` security cookie and the chooser sets the ``prefs`` cookie
unconditionally: it is CookieConsentMiddleware, not these views, that decides whether they
reach the browser.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cookieconsent.engine.consent import get_consent

#: The security cookie set at sign-in (policy category “Security”).
SECURITY_COOKIE = "session"
#: The Workspace preference cookie (policy category “Functional”).
PREFS_COOKIE = "prefs"
PREFS_MAX_AGE = 365 * 24 * 60 * 60

WORKSPACES = {
    "acme-ops": "Acme Ops",
    "fluxems-demo": "Fluxems Demo",
    "sandbox": "Sandbox",
}


def current_workspace(request: HttpRequest) -> str | None:
    """The Workspace slug in the ``prefs`` cookie, read only while Functional cookies are
    allowed (a refused cookie may still arrive once, before the middleware expires it)."""
    slug = request.COOKIES.get(PREFS_COOKIE)
    if slug not in WORKSPACES or not get_consent(request).allows("functional"):
        return None
    return slug


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    slug = current_workspace(request)
    return render(request, "fluxems/home.html", {"workspace": WORKSPACES.get(slug or "")})


class SignInView(LoginView):
    """Django's sign-in, which also sets the ``session`` security cookie."""

    template_name = "fluxems/signin.html"
    next_page = "home"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        response.set_cookie(
            SECURITY_COOKIE,
            secrets.token_urlsafe(32),
            secure=self.request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
        return response


@require_POST
def sign_out(request: HttpRequest) -> HttpResponseRedirect:
    logout(request)
    messages.info(request, "You are signed out.")
    response = redirect("home")
    response.delete_cookie(SECURITY_COOKIE, samesite="Lax")
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def workspace(request: HttpRequest) -> HttpResponseBase:
    """Choose the Workspace to work in; the choice is remembered in the ``prefs`` cookie."""
    if request.method == "POST":
        slug = request.POST.get("workspace", "")
        if slug not in WORKSPACES:
            context = {"workspaces": WORKSPACES, "error": "Choose one of the Workspaces."}
            return render(request, "fluxems/workspace.html", context, status=400)
        response = redirect("workspace")
        response.set_cookie(PREFS_COOKIE, slug, max_age=PREFS_MAX_AGE, samesite="Lax")
        if get_consent(request).allows("functional"):
            messages.success(request, f"Your Workspace is now {WORKSPACES[slug]}.")
        else:
            messages.warning(
                request,
                "Functional cookies are off, so we cannot remember your Workspace. "
                "Allow them in Cookie settings, then choose again.",
            )
        return response
    context = {
        "workspaces": WORKSPACES,
        "selected": current_workspace(request),
    }
    return render(request, "fluxems/workspace.html", context)

"""The pages the benchmark's project cases request (``benchmarks/worker.py``)."""

from django.urls import include, path

from benchmarks import views

urlpatterns = [
    path("four/", views.four_cookies, name="four"),
    path("page/", views.page, name="page"),
    path("page-banner/", views.page_banner, name="page-banner"),
    path("about/", views.page, name="about"),
    path("blog/", views.page, name="blog"),
    path("contact/", views.page, name="contact"),
    # The hand-rolled endpoint where the app's are, so that both are found after as many
    # patterns (the app's first pattern is its consent endpoint).
    path("record/", views.hand_rolled_consent, name="record"),
    path("cookies/", include("cookieconsent.urls")),
]

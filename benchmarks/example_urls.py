"""The example's URLs, and ``/four/`` (the benchmark's view that sets the four fluxems
cookies)."""

from django.urls import path

from benchmarks import views
from example_project.urls import urlpatterns as example

urlpatterns = [path("four/", views.four_cookies, name="four"), *example]

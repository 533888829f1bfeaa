from django.test import TestCase

from cookieconsent.models import Cookie, CookieCategory, CookiePolicy
from cookieconsent.publishing import publish
from cookieconsent.testing import CONSENT_COOKIE, consent_cookie, cookies_expired, cookies_set


class AnalyticsCookieTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        analytics = CookieCategory.objects.create(slug="analytics", name="Analytics")
        Cookie.objects.create(category=analytics, name="_ga")
        # The site enforces what is published: publish the table the tests declare.
        publish(CookiePolicy.objects.create(title="Cookie Policy"))

    def test_no_analytics_cookie_without_consent(self):
        response = self.client.get("/")
        self.assertNotIn("_ga", cookies_set(response))

    def test_analytics_cookie_once_allowed(self):
        self.client.cookies[CONSENT_COOKIE] = consent_cookie(["analytics"])
        response = self.client.get("/")
        self.assertIn("_ga", cookies_set(response))
        self.assertNotIn("_gcl_au", cookies_set(response))  # declared nowhere

    def test_withdrawal_expires_the_analytics_cookie(self):
        self.client.cookies[CONSENT_COOKIE] = consent_cookie(["analytics"])
        self.client.cookies["_ga"] = "GA1.1.1234567890.1700000000"
        response = self.client.post("/cookies/consent/", {"action": "reject_all"})
        self.assertIn("_ga", cookies_expired(response))

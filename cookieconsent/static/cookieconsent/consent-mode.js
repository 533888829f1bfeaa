/* Google Consent Mode v2 defaults for {% cookieconsent_consent_mode %}, without inline script:
   a plain (not deferred) script in <head>, before any Google tag. */
window.dataLayer = window.dataLayer || [];
window.gtag = window.gtag || function () { dataLayer.push(arguments); };
gtag("consent", "default", JSON.parse(document.currentScript.dataset.cookieconsentConsentMode));

/* Google Consent Mode v2 defaults for {% cookieconsent_consent_mode %}, without inline script:
   a plain (not deferred) script in <head>, before any Google tag. The Microsoft tags named in
   data-cookieconsent-microsoft get the same answers: UET its ad_storage, Clarity its consentv2. */
(function (w) {
  const data = document.currentScript.dataset;
  const found = JSON.parse(data.cookieconsentConsentMode);
  const ms = (data.cookieconsentMicrosoft || "").split(" ");
  w.dataLayer = w.dataLayer || [];
  w.gtag = w.gtag || function () { dataLayer.push(arguments); };
  gtag("consent", "default", found);
  if (ms.includes("uet")) (w.uetq = w.uetq || []).push("consent", "default", { ad_storage: found.ad_storage });
  if (ms.includes("clarity")) {
    // Clarity's own snippet keeps this queue (it defines clarity only if it is not there).
    w.clarity = w.clarity || function () { (w.clarity.q = w.clarity.q || []).push(arguments); };
    clarity("consentv2", { ad_Storage: found.ad_storage, analytics_Storage: found.analytics_storage });
  }
})(window);

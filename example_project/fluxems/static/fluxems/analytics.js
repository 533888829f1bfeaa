// fluxems' stand-in for an analytics library: the page serves it inert until Analytics is
// allowed, and cookieconsent.js runs it once the visitor allows it.
document.cookie = "_stat=js; path=/; max-age=31536000; SameSite=Lax";
window.fluxemsAnalyticsLoaded = true;

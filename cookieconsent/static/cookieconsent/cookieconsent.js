/* cookieconsent.js: posts the banner's forms with fetch, brings gated content to life, opens
   the preferences in a <dialog>. Without it the plain forms still work. Its configuration
   (cookieconsent/script.py) comes from a data-cookieconsent-config attribute. */
(() => {
  "use strict";
  const d = document;
  const all = (s, root = d) => [...root.querySelectorAll(s)];
  const source = all("[data-cookieconsent-config]")[0];
  let conf = source ? JSON.parse(source.dataset.cookieconsentConfig) : {};
  const banner = d.getElementById("cookieconsent-banner");
  const api = (window.djangoCookieConsent = { state: conf.state, allows, open });
  const live = make("div", "cc-status");
  let dialog, opener, timer;
  let queue = Promise.resolve();

  function allows(slug) {
    return !!api.state && api.state.categories.includes(slug);
  }

  // What the script adds wears the site's theme (the THEME setting, as data-cc-theme).
  function make(tag, cls) {
    const el = d.createElement(tag);
    el.className = cls;
    el.dataset.ccTheme = conf.theme || "auto";
    return el;
  }

  // The same element as another tag, its attributes and children moved over.
  function swap(el, tag) {
    const to = d.createElement(tag);
    for (const a of el.attributes) to.setAttribute(a.name, a.value);
    to.append(...el.childNodes);
    el.replaceWith(to);
    return to;
  }

  // Focus back on el, or, where that went with the banner, on the link that brings the
  // settings back: never lost to <body>.
  function refocus(el) {
    if (!el || !el.getClientRects().length) el = all("[data-cookieconsent-open]").find((e) => e.getClientRects().length);
    if (el) el.focus();
  }

  function get(url) {
    return fetch(url, { headers: { Accept: "application/json" } });
  }

  // The preferences page: its panel, and a configuration with this visitor's own state.
  async function panel() {
    const link = d.querySelector("[data-cookieconsent-open]");
    const url = conf.preferencesUrl || (link && link.pathname) || "";
    const page = new DOMParser().parseFromString(await (await get(url)).text(), "text/html");
    const node = page.getElementById("cookieconsent-preferences");
    conf = JSON.parse(node.dataset.cookieconsentConfig);
    api.state = api.state || conf.state;
    return node;
  }

  // No CSRF token: the server checks the browser's Origin and Sec-Fetch-Site headers.
  async function post(body, form) {
    body.next = location.pathname + location.search;
    const r = await fetch(conf.consentUrl || form.action, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    if (!r.ok) throw r;
    // Saved: what fails from here on is this page's, never a reason to post the choice again.
    try {
      update(await r.json(), 1);
    } catch (e) {
      reportError(e);
    }
  }

  // A double click is one decision, not two records: one post at a time from each control.
  function once(el, send) {
    if (el.busy) return;
    el.busy = 1;
    send().finally(() => (el.busy = 0));
  }

  function update(state, saved) {
    const had = d.activeElement;
    api.state = state;
    if (banner) banner.hidden = state.decided;
    if (banner && conf.cacheSafe) regime(state.regime);
    activate();
    for (const box of all("[data-cookieconsent-form] [name=categories]")) box.checked = allows(box.value);
    clean();
    if (!saved) return;
    for (const c of all(".cc-consent-id code")) c.textContent = state.consent_id;
    // A choice outranks the browser's signal (a dismissal does not): its notices go, as the
    // server drops them.
    if (state.action != "gpc") for (const n of all(".cc-opt-out-honored,.cc-signal")) n.remove();
    // Close the dialog first: while it is modal, the live region outside it is inert.
    if (dialog && dialog.open) dialog.close();
    // The control that had focus went with the banner or a placeholder.
    else if (had && had != d.body && !had.getClientRects().length) refocus();
    const names = conf.categoryNames || {};
    const allowed = Object.keys(names).filter(allows).map((s) => names[s]);
    say(conf.strings && conf.strings.saved.replace("%s", allowed.join(", ") || conf.strings.none));
    consentMode();
    d.dispatchEvent(new CustomEvent("cookieconsent:change", { detail: state }));
  }

  // The declared storage keys of every category the state does not allow, whatever made it so
  // (a choice here or in another browser, a browser signal), as the middleware expires such
  // cookies on every response: only the browser can clear its storage.
  function clean() {
    for (const [store, keys] of Object.entries(conf.storageKeys || {})) {
      for (const [slug, name] of keys) {
        if (allows(slug)) continue;
        // Names may be patterns with "*".
        const re = RegExp("^" + name.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*") + "$");
        try {
          for (const key of Object.keys(window[store])) if (re.test(key)) window[store].removeItem(key);
        } catch (e) {} // storage can be switched off
      }
    }
  }

  // A shared page carries every regime's banner: show the one for the visitor's region.
  function regime(name) {
    const parts = all("[data-cookieconsent-regime]", banner);
    const shown = parts.find((p) => p.dataset.cookieconsentRegime == name) || parts[0];
    for (const p of parts) p.hidden = p != shown;
    // Labelled by the shown block's heading; a template without one keeps its own label.
    const title = shown && shown.querySelector("[id]:is(h1,h2,h3,h4,h5,h6,.cc-banner__title)");
    if (title) banner.setAttribute("aria-labelledby", title.id);
  }

  // Google Consent Mode, and the Microsoft tags told the same answers (consent_mode.py).
  function consentMode() {
    if (!conf.consentMode) return;
    const u = {}, ms = conf.microsoft || [], w = window;
    for (const type in conf.consentMode) u[type] = conf.consentMode[type].some(allows) ? "granted" : "denied";
    if (typeof gtag == "function") gtag("consent", "update", u);
    if (ms.includes("uet")) (w.uetq = w.uetq || []).push("consent", "update", { ad_storage: u.ad_storage });
    if (ms.includes("clarity") && typeof clarity == "function") clarity("consentv2", { ad_Storage: u.ad_storage, analytics_Storage: u.analytics_storage });
  }

  function say(text) {
    live.textContent = text || "";
    clearTimeout(timer);
    timer = setTimeout(() => (live.textContent = ""), 5000);
  }

  // Puts back what cookieconsent/gating.py moved to data-cookieconsent-*, handlers first.
  const PREFIX = "data-cookieconsent-";
  function restore(el) {
    const moved = [...el.attributes].filter((a) => a.name.startsWith(PREFIX));
    moved.sort((a, b) => b.name.startsWith(PREFIX + "on") - a.name.startsWith(PREFIX + "on"));
    for (const a of moved) {
      el.setAttribute(a.name.slice(PREFIX.length).replace(/^xlink:/, ""), a.value);
      el.removeAttribute(a.name);
    }
  }

  // The categories a gated element still waits for: a gate inside a gate needs both.
  function waits(el) {
    return el.dataset.cookieconsent.split(" ").filter((a) => !allows(a));
  }

  // Inert scripts of allowed categories, in document order, each once; a src script is
  // waited for before the next one runs, as the parser would. Then the other gated elements.
  function activate() {
    for (const old of all("script[type='text/plain'][data-cookieconsent]")) {
      if (old.cc || waits(old).length) continue;
      old.cc = 1;
      queue = queue.then(() => new Promise((done) => {
        const s = d.createElement("script");
        for (const a of old.attributes) if (!/^(type|data-type)$/.test(a.name)) s.setAttribute(a.name, a.value);
        restore(s);
        if (old.dataset.type) s.type = old.dataset.type;
        s.nonce = old.nonce;
        s.text = old.text;
        // Listeners, not onload/onerror: those are the page's own handlers, put back above.
        s.addEventListener("load", done);
        s.addEventListener("error", done);
        old.replaceWith(s);
        // A nomodule script fires neither load nor error where modules run.
        if (!s.src || s.noModule) done();
      }));
    }
    const media = new Set();
    for (const el of all("[data-cookieconsent]:not(script)")) {
      if (el.ccDone) continue;
      const no = waits(el);
      if (!no.length) {
        el.ccDone = 1;
        if (el.cc) (el.cc.remove(), (el.hidden = false));
        restore(el);
        // An object, an embed and SVG's <set> act on what they hold only when inserted anew.
        if (/^(OBJECT|EMBED|set)$/.test(el.tagName)) el.replaceWith(el.cloneNode(true));
        const player = el.closest("video, audio");
        if (player) media.add(player);
      } else if (el.tagName == "IFRAME" && !el.cc && conf.strings) {
        const box = (el.cc = make("div", "cc-placeholder"));
        const text = d.createElement("p");
        const button = make("button", "cc-button");
        const name = no.map((s) => conf.categoryNames[s] || s).join(", ");
        box.style.width = el.offsetWidth + "px";
        box.style.height = el.offsetHeight + "px";
        text.textContent = conf.strings.blocked.replace("%s", name);
        button.type = "button";
        button.textContent = conf.strings.allow.replace("%s", name);
        button.onclick = () =>
          once(button, () =>
            post({ action: "custom", categories: [...api.state.categories, ...no] }).catch(() => (location.href = conf.preferencesUrl)),
          );
        box.append(text, button);
        el.before(box);
        el.hidden = true;
      }
    }
    for (const player of media) player.load();
  }

  async function open() {
    const here = d.getElementById("cookieconsent-preferences");
    if (here && !here.closest("dialog")) return here.querySelector("input:not([disabled])")?.focus();
    opener = d.activeElement;
    const node = await panel();
    if (!dialog) {
      dialog = make("dialog", "cc-dialog");
      dialog.setAttribute("aria-labelledby", "cc-preferences-title");
      dialog.addEventListener("close", () => refocus(opener));
      d.body.append(dialog);
    }
    // The page has its own h1: in the dialog the panel's heading is an h2.
    for (const h of all("h1", node)) swap(h, "h2");
    dialog.replaceChildren(node);
    dialog.showModal();
  }

  d.addEventListener("click", (e) => {
    const link = e.target.closest("[data-cookieconsent-open]");
    if (!link) return;
    e.preventDefault();
    open().catch(() => (location.href = link.href || link.dataset.cookieconsentOpen));
  });

  d.addEventListener("submit", (e) => {
    const form = e.target;
    if (form.cc || !form.matches("[data-cookieconsent-form]")) return;
    e.preventDefault();
    const data = new FormData(form, e.submitter);
    once(form, () =>
      post({ action: data.get("action"), categories: data.getAll("categories") }, form)
        // The post failed (offline, a refusal): the plain form post, which explains itself.
        .catch(() => ((form.cc = 1), form.requestSubmit(e.submitter))),
    );
  });

  live.setAttribute("role", "status");
  // "Customise" opens a dialog, not a page: with the script it is a button that remembers
  // where the link went.
  for (const a of all("a[data-cookieconsent-open]", banner || live)) {
    const b = swap(a, "button");
    b.type = "button";
    b.dataset.cookieconsentOpen = a.href;
    b.removeAttribute("href");
  }
  d.body.append(live);
  if (banner && window.ResizeObserver) {
    // The page keeps focused elements clear of the banner with scroll-padding of its height.
    new ResizeObserver(() => d.documentElement.style.setProperty("--cc-h", banner.offsetHeight + "px")).observe(banner);
  }
  const status = (url) => get(url).then((r) => r.json());
  if (conf.cacheSafe) {
    // A page from a shared cache: this visitor's own state decides.
    status(conf.statusUrl).then((s) => (update(s), consentMode()));
  } else if (api.state) {
    activate();
    clean();
  } else {
    // A plain <script> tag on a page without the banner: ask the server (the preferences page
    // when gated iframes need the placeholder's strings too).
    const link = d.querySelector("a[data-cookieconsent-open]");
    if (d.querySelector("iframe[data-cookieconsent]")) panel().then(() => update(api.state));
    else if (link) status(link.pathname.replace(/[^/]+\/?$/, "status/")).then(update);
  }
})();

/* Cagnotte: what the page scripts share: money from integer minor units, plural
   forms from data attributes, JSON from the API, a refresh while the tab is visible.
   Defines window.Cagnotte; load it before the scripts that use it (all `defer`). */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var rules = window.Intl && Intl.PluralRules ? new Intl.PluralRules(lang) : null;
  var numbers = {};

  // Integer minor units to a decimal string ("1250", 2 → "12.50"): no float on the way.
  function decimal(minor, digits) {
    var s = String(minor), sign = "";
    if (s.charAt(0) === "-") { sign = "-"; s = s.slice(1); }
    if (!digits) return sign + s;
    while (s.length <= digits) s = "0" + s;
    return sign + s.slice(0, -digits) + "." + s.slice(-digits);
  }

  // As the build's money(): "8 000 €" for whole amounts, "8 500,50 €" otherwise.
  function money(minor, currency) {
    try {
      var key = currency + "|" + lang, format = numbers[key], whole = numbers[key + "|0"];
      if (!format) {
        format = numbers[key] = new Intl.NumberFormat(lang, { style: "currency", currency: currency });
        whole = numbers[key + "|0"] = new Intl.NumberFormat(lang, {
          style: "currency", currency: currency, minimumFractionDigits: 0, maximumFractionDigits: 0 });
      }
      var digits = format.resolvedOptions().maximumFractionDigits;
      var text = decimal(minor, digits);
      // The string goes to Intl as is: formatters that read decimal strings never round through a float.
      return /\.0+$/.test(text) ? whole.format(text.replace(/\.0+$/, "")) : format.format(text);
    } catch (e) {
      return decimal(minor, 2) + " " + currency;
    }
  }

  // Decimal digits of a currency (EUR 2, JPY 0), as Intl knows them.
  function digits(currency) {
    try {
      return new Intl.NumberFormat("en", { style: "currency", currency: currency }).resolvedOptions().maximumFractionDigits;
    } catch (e) {
      return 2;
    }
  }

  function integer(n) {
    try { return new Intl.NumberFormat(lang).format(n); } catch (e) { return String(n); }
  }

  // "{n} left" from data-one / data-other (data-<prefix>one …), per the page language's rules.
  function plural(el, prefix, n, values) {
    var kind = rules ? rules.select(n) : (n === 1 ? "one" : "other");
    var text = el.getAttribute("data-" + prefix + kind) || el.getAttribute("data-" + prefix + "other") || "";
    values = values || {};
    values.n = integer(n);
    return fill(text, values);
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : all;
    });
  }

  // Change a text only when it changed: live regions announce changes, not refreshes.
  function setText(el, text) {
    if (el && el.textContent !== text) el.textContent = text;
  }

  function api() {
    return (document.body.getAttribute("data-api") || "/api").replace(/\/+$/, "");
  }

  function getJSON(path) {
    return fetch(api() + path, { headers: { Accept: "application/json" } }).then(function (response) {
      return response.ok ? response.json() : null;
    });
  }

  // Run `task` (which returns a promise) now, then every `ms` while the tab is visible;
  // paused when hidden, run again as soon as it is visible.
  function every(ms, task) {
    var timer = null, busy = false;
    function run() {
      clearTimeout(timer);
      timer = null;
      if (!busy) {
        busy = true;
        Promise.resolve().then(task).catch(function () {}).then(function () { busy = false; });
      }
      if (document.visibilityState !== "hidden") timer = setTimeout(run, ms);
    }
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") run();
      else { clearTimeout(timer); timer = null; }
    });
    run();
  }

  window.Cagnotte = {
    lang: lang, decimal: decimal, money: money, digits: digits, integer: integer, plural: plural, fill: fill,
    setText: setText, getJSON: getJSON, every: every
  };
})();

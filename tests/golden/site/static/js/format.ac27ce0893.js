/* Cagnotte: what the page scripts share: money from integer minor units, plural
   forms from data attributes, JSON from the API, a refresh while the tab is visible.
   Defines window.Cagnotte; load it before the scripts that use it (all `defer`).

   Numbers, money and short dates are written from <body data-formats>: the
   separators, currency prefix and suffix, and month names that the build read
   from CLDR (Babel). The live figures then read exactly as the build wrote the
   page, and no Intl formatter is made: the first one costs a phone 20-30 ms of
   main thread. Intl remains the fallback for what data-formats leaves out. */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var rules = window.Intl && Intl.PluralRules ? new Intl.PluralRules(lang) : null;
  var numbers = {};
  var spec = {};
  try { spec = JSON.parse(document.body.getAttribute("data-formats") || "{}") || {}; } catch (e) { spec = {}; }

  // "1234567" → "1 234 567": groups of three from the right (what data-formats promises).
  function grouped(digits, group) {
    var head = digits.length % 3 || 3, out = digits.slice(0, head);
    for (var i = head; i < digits.length; i += 3) out += group + digits.slice(i, i + 3);
    return out;
  }

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
    var style = spec.money && spec.money[currency];
    if (style && typeof minor === "number" && isFinite(minor)) {
      var text = decimal(Math.round(minor), spec.digits[currency]), sign = "";
      if (text.charAt(0) === "-") { sign = "-"; text = text.slice(1); }
      var parts = text.split("."), fraction = parts[1] && /[^0]/.test(parts[1]) ? style.decimal + parts[1] : "";
      return sign + style.prefix + grouped(parts[0], style.group) + fraction + style.suffix;
    }
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

  // Decimal digits of a currency (EUR 2, JPY 0): ISO 4217, from the build (or Intl).
  function digits(currency) {
    if (spec.digits && typeof spec.digits[currency] === "number") return spec.digits[currency];
    try {
      return new Intl.NumberFormat("en", { style: "currency", currency: currency }).resolvedOptions().maximumFractionDigits;
    } catch (e) {
      return 2;
    }
  }

  function integer(n) {
    if (spec.number && typeof n === "number" && isFinite(n) && Math.floor(n) === n) {
      return (n < 0 ? "-" : "") + grouped(String(Math.abs(n)), spec.number.group);
    }
    try {
      numbers.integer = numbers.integer || new Intl.NumberFormat(lang);
      return numbers.integer.format(n);
    } catch (e) { return String(n); }
  }

  // "2026-12-15" → "15 déc." / "Dec 15": the CLDR pattern of data-formats (d, dd, M, MM, MMM, 'text').
  function dayMonth(iso) {
    var y = Number(iso.slice(0, 4)), m = Number(iso.slice(5, 7)), d = Number(iso.slice(8, 10));
    if (spec.day_month && spec.months) {
      return spec.day_month.replace(/'(?:[^']|'')*'|([A-Za-z])\1*/g, function (token) {
        if (token.charAt(0) === "'") return token === "''" ? "'" : token.slice(1, -1).replace(/''/g, "'");
        if (token === "d" || token === "dd") return token.length === 2 && d < 10 ? "0" + d : String(d);
        if (token === "M" || token === "L") return String(m);
        if (token === "MM" || token === "LL") return m < 10 ? "0" + m : String(m);
        return spec.months[m - 1];  // MMM, LLL: the build offers day_month only with these fields
      });
    }
    try {
      return new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", timeZone: "UTC" }).format(Date.UTC(y, m - 1, d));
    } catch (e) { return iso.slice(0, 10); }
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
    lang: lang, decimal: decimal, money: money, digits: digits, integer: integer, dayMonth: dayMonth,
    plural: plural, fill: fill,
    setText: setText, getJSON: getJSON, every: every
  };
})();

/* Cagnotte: carry ?ref= into pledge forms; show the pledge on the thanks page.
   Plain JavaScript, no dependency; every page works without it. */
(function () {
  "use strict";
  var CODE = /^[A-Za-z0-9_-]{1,64}$/;
  var params = new URLSearchParams(location.search);

  // A referral code on the landing URL follows the backer to the pledge forms
  // of that campaign (for this tab), so the one who shared it is credited.
  var forms = document.querySelectorAll("form.pledge-form");
  var landed = params.get("ref");
  forms.forEach(function (form) {
    var campaign = form.querySelector('input[name="campaign"]');
    var input = form.querySelector('input[name="ref"]');
    if (!campaign || !input) return;
    var key = "cagnotte-ref:" + campaign.value;
    try {
      if (landed && CODE.test(landed)) sessionStorage.setItem(key, landed);
      var ref = sessionStorage.getItem(key);
      if (ref && CODE.test(ref)) input.value = ref;
    } catch (e) { /* storage disabled: only this page's forms get the code */
      if (landed && CODE.test(landed)) input.value = landed;
    }
  });

  var box = document.querySelector("[data-pledge]");
  var session = params.get("session_id");
  if (!box || !session || !/^[A-Za-z0-9_]{1,255}$/.test(session) || !window.fetch) return;

  function decimal(minor, digits) {
    // Integer minor units to a decimal string ("1250", 2 → "12.50"): no float on the way.
    var s = String(minor), sign = "";
    if (s.charAt(0) === "-") { sign = "-"; s = s.slice(1); }
    if (!digits) return sign + s;
    while (s.length <= digits) s = "0" + s;
    return sign + s.slice(0, -digits) + "." + s.slice(-digits);
  }

  function money(minor, currency) {
    var lang = document.documentElement.lang || "en";
    try {
      var format = new Intl.NumberFormat(lang, { style: "currency", currency: currency });
      return format.format(decimal(minor, format.resolvedOptions().maximumFractionDigits));
    } catch (e) {
      return decimal(minor, 2) + " " + currency;
    }
  }

  fetch(box.getAttribute("data-api") + "/pledges/" + encodeURIComponent(session), {
    headers: { Accept: "application/json" }
  }).then(function (response) {
    return response.ok ? response.json() : null;
  }).then(function (pledge) {
    if (!pledge) return;
    var facts = box.querySelector("[data-pledge-facts]");
    facts.querySelector('[data-field="amount"]').textContent = money(pledge.amount, pledge.currency);
    facts.querySelector('[data-field="status"]').textContent =
      box.getAttribute("data-status-" + pledge.status) || pledge.status;
    facts.hidden = false;
    var manage = box.querySelector("[data-manage]");
    if (manage && pledge.manage_url && /^https?:\/\//.test(pledge.manage_url)) {
      manage.querySelector("a").href = pledge.manage_url;
      manage.hidden = false;
    }
    var share = box.querySelector("[data-share]");
    if (share && pledge.ref_code) {
      var link = share.querySelector("a");
      var url = box.getAttribute("data-campaign-url") + "?ref=" + encodeURIComponent(pledge.ref_code);
      link.href = url;
      link.textContent = url;
      share.hidden = false;
    }
  }).catch(function () { /* the page still says the pledge was received */ });
})();

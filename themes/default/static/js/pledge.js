/* Cagnotte: carry ?ref= into pledge forms; on the thanks page, show the pledge, the
   backer's own share link (in the share links too) and what it has brought.
   Plain JavaScript, no dependency (js/format.js on the thanks page); every page works without it. */
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

  // A card with a quantity or add-ons: its button says what the items come to as the backer picks
  // them (shipping apart, as on the card); the server prices the pledge again from the catalog.
  forms.forEach(function (form) {
    var button = form.querySelector("button[data-total]");
    var F = window.Cagnotte;
    if (!button || !F || !form.hasAttribute("data-amount")) return;
    function count(input, least) {
      if (input.type === "checkbox") return input.checked ? 1 : 0;
      var n = parseInt(input.value, 10);
      return isNaN(n) ? least : Math.max(least, Math.min(n, Number(input.max) || n));
    }
    function update() {
      var quantity = form.querySelector('input[name="quantity"]');
      var total = Number(form.getAttribute("data-amount")) * (quantity ? count(quantity, 1) : 1);
      form.querySelectorAll('input[name^="addon."]').forEach(function (input) {
        if (!input.disabled) total += Number(input.getAttribute("data-amount")) * count(input, 0);
      });
      var text = button.getAttribute("data-total").replace("{amount}", F.money(total, form.getAttribute("data-currency")));
      if (button.hasAttribute("data-label")) button.setAttribute("data-label", text);  // live.js's, when sold out
      if (!button.disabled) button.textContent = text;
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
  });

  var box = document.querySelector("[data-pledge]");
  var session = params.get("session_id");
  var C = window.Cagnotte;  // js/format.js, loaded before this file on the thanks page
  if (!box || !C || !session || !/^[A-Za-z0-9_]{1,255}$/.test(session) || !window.fetch) return;

  // What the backer's own link has brought, refreshed while the page is visible.
  function referrals(code) {
    var total = box.querySelector("[data-referral-total]");
    if (!total) return;
    C.every(30000, function () {
      return C.getJSON("/referrals/" + encodeURIComponent(code)).then(function (found) {
        if (!found) return;
        total.setAttribute("data-pledges", found.pledges);
        total.setAttribute("data-raised", found.raised);
        C.setText(total, found.pledges > 0
          ? C.plural(total, "", found.pledges, { raised: C.money(found.raised, found.currency) })
          : total.getAttribute("data-none"));
        total.hidden = false;
      });
    });
  }

  // The share links of the page carry the backer's link instead of the campaign's.
  function personalise(url) {
    var encoded = encodeURIComponent(url);
    document.querySelectorAll("[data-share-links]").forEach(function (list) {
      var old = list.getAttribute("data-share-url");
      list.querySelectorAll("a[href]").forEach(function (a) {
        a.href = a.getAttribute("href").split(old).join(encoded);
      });
      list.setAttribute("data-share-url", encoded);
    });
  }

  C.getJSON("/pledges/" + encodeURIComponent(session)).then(function (pledge) {
    if (!pledge) return;
    var facts = box.querySelector("[data-pledge-facts]");
    facts.querySelector('[data-field="amount"]').textContent = C.money(pledge.amount, pledge.currency);
    facts.querySelector('[data-field="status"]').textContent =
      box.getAttribute("data-status-" + pledge.status) || pledge.status;
    facts.hidden = false;
    var manage = box.querySelector("[data-manage]");
    if (manage && pledge.manage_url && /^https?:\/\//.test(pledge.manage_url)) {
      manage.querySelector("a").href = pledge.manage_url;
      manage.hidden = false;
    }
    var share = box.querySelector("[data-share]");
    if (share && pledge.ref_code && CODE.test(pledge.ref_code)) {
      var link = share.querySelector("a");
      var url = box.getAttribute("data-campaign-url") + "?ref=" + encodeURIComponent(pledge.ref_code);
      link.href = url;
      link.textContent = url;
      var copy = share.querySelector("button[data-copy]");
      if (copy) {
        copy.setAttribute("data-copy", url);
        copy.hidden = false;
      }
      share.hidden = false;
      personalise(url);
      referrals(pledge.ref_code);
    }
  }).catch(function () { /* the page still says the pledge was received */ });
})();

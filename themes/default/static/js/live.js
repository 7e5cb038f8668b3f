/* Cagnotte: live figures on the campaign page and the embed card, read from
   GET {api}/campaigns/{slug}/stats on load and every 30 s while the tab is visible.
   Fills the [data-stat] placeholders, the rewards left, the stretch goals reached,
   the funding chart (js/chart.js, when loaded) and the opt-in referral leaderboard.
   Without JavaScript the placeholders stay "—" and every form still posts. */
(function () {
  "use strict";
  var C = window.Cagnotte;
  var root = document.querySelector(".stats[data-live]");
  if (!C || !window.fetch) return;
  var HOUR = 3600000, DAY = 24 * HOUR;

  function stat(name) {
    return document.querySelectorAll('[data-stat="' + name + '"]');
  }

  function each(list, fn) {
    Array.prototype.forEach.call(list, fn);
  }

  // "12 days left", "Ends in 5 hours", "Ended" from the deadline and this device's clock.
  function timeLeft(ends) {
    each(stat("time-left"), function (el) {
      var end = Date.parse(ends || el.getAttribute("data-ends"));
      if (isNaN(end)) return;
      var left = end - Date.now(), text;
      if (left <= 0) text = el.getAttribute("data-ended");
      else if (left >= DAY) text = C.plural(el, "days-", Math.floor(left / DAY));
      else if (left >= HOUR) text = C.plural(el, "hours-", Math.floor(left / HOUR));
      else text = C.plural(el, "minutes-", Math.max(1, Math.floor(left / 60000)));
      C.setText(el, text);
    });
  }

  // Whole percent of the goal, in integers: (raised × 100 − remainder) / goal.
  function percent(raised, goal) {
    if (!(goal > 0) || raised <= 0) return 0;
    var scaled = raised * 100;
    return (scaled - scaled % goal) / goal;
  }

  function figures(s) {
    var pct = percent(s.raised, s.goal);
    each(stat("raised"), function (el) { C.setText(el, C.money(s.raised, s.currency)); });
    each(stat("backers"), function (el) { C.setText(el, C.integer(s.backers)); });
    // "1 contributeur", "2 contributeurs": the label follows the number (French counts 0 as one).
    each(document.querySelectorAll('[data-stat-label="backers"]'), function (el) { C.setText(el, C.plural(el, "label-", s.backers)); });
    each(stat("percent"), function (el) {
      C.setText(el, C.fill(el.getAttribute("data-format") || "{n}%", { n: C.integer(pct) }));
    });
    each(stat("progress"), function (el) {
      el.value = Math.min(pct, 100);
      C.setText(el, C.integer(pct) + "%");
    });
    // After the deadline the money actually charged is shown apart from what was pledged.
    var over = s.status === "successful" || s.status === "ended";
    each(document.querySelectorAll("[data-collected]"), function (box) {
      box.hidden = !(over && s.collected > 0);
    });
    if (typeof s.collected === "number") {
      each(stat("collected"), function (el) { C.setText(el, C.money(s.collected, s.currency)); });
    }
  }

  function rewards(s) {
    (s.rewards || []).forEach(function (r) {
      var chose = document.querySelector('[data-reward-backers="' + r.id + '"]');
      if (chose && typeof r.backers === "number") {
        chose.hidden = r.backers <= 0;
        if (r.backers > 0) C.setText(chose, C.plural(chose, "", r.backers));
      }
      if (r.remaining === null || r.remaining === undefined) return;
      var el = document.querySelector('[data-stat="remaining"][data-reward="' + r.id + '"]');
      if (!el) return;
      var soldOut = r.remaining <= 0;
      C.setText(el, soldOut ? el.getAttribute("data-sold-out") : C.plural(el, "", r.remaining));
      var card = document.getElementById("reward-" + r.id);
      if (!card) return;
      card.toggleAttribute("data-sold-out", soldOut);
      var button = card.querySelector('form button[type="submit"]');
      if (!button) return;
      if (!button.hasAttribute("data-label")) button.setAttribute("data-label", button.textContent);
      button.disabled = soldOut;
      C.setText(button, soldOut ? el.getAttribute("data-sold-out") : button.getAttribute("data-label"));
    });
  }

  function addons(s) {
    (s.addons || []).forEach(function (a) {
      if (a.remaining === null || a.remaining === undefined) return;
      var soldOut = a.remaining <= 0;
      each(document.querySelectorAll('[data-stat="remaining"][data-addon="' + a.id + '"]'), function (el) {
        C.setText(el, soldOut ? el.getAttribute("data-sold-out") : C.plural(el, "", a.remaining));
      });
      each(document.querySelectorAll('input[name="addon.' + a.id + '"]'), function (input) {
        input.disabled = soldOut;
        if (soldOut) input.checked = false;
      });
    });
  }

  function stretchGoals(s) {
    each(document.querySelectorAll("[data-stretch]"), function (li) {
      var reached = s.raised >= Number(li.getAttribute("data-stretch"));
      li.toggleAttribute("data-reached", reached);
      li.classList.toggle("reached", reached);
      var badge = li.querySelector(".badge");
      if (badge) badge.hidden = !reached;
    });
  }

  function leaderboard(board) {
    var rows = board.querySelector("[data-leaderboard-rows]");
    var slug = board.getAttribute("data-campaign");
    return C.getJSON("/campaigns/" + encodeURIComponent(slug) + "/referrals").then(function (data) {
      if (!data || !data.referrals) return;
      var list = data.referrals.filter(function (r) { return r.pledges > 0; });
      var html = document.createDocumentFragment();
      list.forEach(function (r, i) {
        var tr = document.createElement("tr");
        [C.integer(i + 1), r.code, C.integer(r.pledges), C.money(r.raised, data.currency)].forEach(function (text, col) {
          var cell = document.createElement(col === 0 ? "th" : "td");
          if (col === 0) cell.scope = "row";
          if (col > 1) cell.className = "num";
          if (col === 1) cell.className = "code";
          cell.textContent = text;
          tr.appendChild(cell);
        });
        html.appendChild(tr);
      });
      var key = JSON.stringify(list);
      if (rows.getAttribute("data-key") !== key) {  // rewrite the rows only when they changed
        rows.textContent = "";
        rows.appendChild(html);
        rows.setAttribute("data-key", key);
      }
      rows.parentNode.hidden = !list.length;
      board.querySelector("[data-leaderboard-empty]").hidden = !!list.length;
      board.hidden = false;
    });
  }

  var board = document.querySelector("[data-leaderboard]");
  var chart = document.querySelector("[data-chart]");
  var ends = null;
  timeLeft();
  if (!root) return;
  var slug = root.getAttribute("data-campaign");

  function refresh() {
    var done = C.getJSON("/campaigns/" + encodeURIComponent(slug) + "/stats").then(function (s) {
      if (!s) return;
      ends = s.ends;
      figures(s);
      rewards(s);
      addons(s);
      stretchGoals(s);
      if (chart && C.chart) C.chart(chart, s);
    });
    timeLeft(ends);
    return board ? Promise.all([done, leaderboard(board)]) : done;
  }

  C.every(30000, refresh);
})();

/* Cagnotte: the progress bars of the home page's live cards, from
   GET {api}/campaigns/{slug}/stats (the figures are not in the static page).
   Without JavaScript the bar stays an empty track; the days left are in the page. */
(function () {
  "use strict";
  var api = (document.body.getAttribute("data-api") || "/api").replace(/\/+$/, "");
  if (!window.fetch) return;
  Array.prototype.forEach.call(document.querySelectorAll("progress[data-card-progress]"), function (bar) {
    fetch(api + "/campaigns/" + encodeURIComponent(bar.getAttribute("data-card-progress")) + "/stats",
      { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (s) {
        if (!s || !(s.goal > 0)) return;
        var scaled = Math.max(0, s.raised) * 100, pct = (scaled - scaled % s.goal) / s.goal;
        bar.value = Math.min(pct, 100);
        bar.textContent = pct + "%";
        var label = bar.parentNode.querySelector("[data-card-percent]");
        if (label) {
          label.textContent = (label.getAttribute("data-format") || "{n}%").replace("{n}", pct);
          label.hidden = false;
        }
      })
      .catch(function () {});
  });
})();

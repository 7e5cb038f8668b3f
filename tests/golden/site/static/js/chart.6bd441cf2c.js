/* Cagnotte: the funding chart, an inline SVG drawn from the stats history
   (cumulative per UTC day): raised from the start to now, the goal as a line, and
   a trend to the deadline at the recent pace with its likely range (the Kicktraq
   idea). js/live.js calls Cagnotte.chart(figure, stats) on every refresh.

   The trend: the average daily amount over the last 7 days (fewer at the start),
   continued to the deadline. The range: if each remaining day varies like the
   last days did (their standard deviation s, days taken as independent), the
   total over R days has a variance R·s², plus (R·s)²/k for the average itself,
   estimated from k days; the band is ±1.28 standard deviations (about 4 chances
   in 5), never below what is already raised.
   The page draws the trend only when it means something: a full week measured and
   a band narrower than half the total it points to. It is a line, never a sentence: the
   page does not tell visitors how the campaign will end (the creator's digest
   does, with the same estimate). */
(function () {
  "use strict";
  var C = window.Cagnotte;
  if (!C) return;
  var NS = "http://www.w3.org/2000/svg", DAY = 86400000, WINDOW = 7, Z = 1.28;
  var uid = 0;

  function day(date) {
    return Date.parse(date + "T00:00:00Z");
  }

  // Moments and amounts: flat across days without pledges, linear within a day.
  function series(history, start, now) {
    var points = [[start, 0]], before = 0;
    history.forEach(function (h) {
      var from = Math.min(Math.max(day(h.date), start), now);
      var to = Math.max(Math.min(day(h.date) + DAY, now), from);
      points.push([from, before], [to, h.raised]);
      before = h.raised;
    });
    points.push([now, before]);
    return points;
  }

  function at(points, t) {
    for (var i = points.length - 1; i >= 0; i--) {
      var a = points[i], b = points[i + 1];
      if (a[0] <= t) return !b || b[0] === a[0] ? a[1] : a[1] + (b[1] - a[1]) * (t - a[0]) / (b[0] - a[0]);
    }
    return 0;
  }

  // The trend to the deadline, in minor units rounded to two significant figures.
  function trend(points, start, now, ends, raised, currency) {
    var elapsed = now - start;
    if (elapsed < WINDOW * DAY || now >= ends) return null;
    var k = WINDOW;
    var incs = [], sum = 0;
    for (var i = 1; i <= k; i++) {
      var inc = at(points, now - (i - 1) * DAY) - at(points, now - i * DAY);
      incs.push(inc);
      sum += inc;
    }
    var rate = sum / k;
    if (!(rate > 0)) return null;
    var squares = 0;
    incs.forEach(function (x) { squares += (x - rate) * (x - rate); });
    var sd = Math.sqrt(squares / (k - 1));
    var R = (ends - now) / DAY;
    var sigma = sd * Math.sqrt(R + R * R / k);
    var expected = raised + rate * R;
    var unit = Math.pow(10, C.digits(currency));
    var step = Math.max(unit, Math.pow(10, Math.floor(Math.log(expected) / Math.LN10) - 1));
    if (4 * Z * sigma > expected) return null;  // a range wider than half the total: too uncertain to draw
    return {
      rate: rate,
      expected: Math.round(expected / step) * step,
      low: Math.max(raised, Math.floor((expected - Z * sigma) / step) * step),
      high: Math.ceil((expected + Z * sigma) / step) * step
    };
  }

  function el(name, attrs, parent, text) {
    var node = document.createElementNS(NS, name);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    if (text) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  // The day of a moment: where the site is for the campaign's own dates (data-starts-day,
  // data-ends-day, written by the build), else the UTC day (the history's days are UTC).
  function dayOf(figure, name, moment) {
    var own = figure.getAttribute("data-" + name);
    if (own && Date.parse(own) === moment && figure.getAttribute("data-" + name + "-day")) {
      return figure.getAttribute("data-" + name + "-day");
    }
    return new Date(moment).toISOString().slice(0, 10);
  }

  function pts(list) {
    return list.map(function (p) { return p[0].toFixed(1) + "," + p[1].toFixed(1); }).join(" ");
  }

  function draw(figure, s, points, start, now, ends, guess) {
    var canvas = figure.querySelector("[data-chart-canvas]");
    var W = Math.max(280, Math.round(canvas.clientWidth || 600));
    var H = Math.round(Math.min(300, Math.max(190, W * 0.48)));
    var left = 10, right = 10, top = 12, bottom = 30;
    var top_value = Math.max(s.goal, s.raised, guess ? guess.high : 0) * 1.08 || 1;
    function x(t) { return left + (W - left - right) * (t - start) / (ends - start); }
    function y(v) { return H - bottom - (H - top - bottom) * v / top_value; }
    var id = "chart-title-" + (++uid);
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-labelledby": id, "class": "chart-svg" });
    el("title", { id: id }, svg, figure.getAttribute("data-title"));
    var base = y(0), line = points.map(function (p) { return [x(p[0]), y(p[1])]; });
    el("line", { x1: left, x2: W - right, y1: base, y2: base, "class": "chart-axis" }, svg);
    if (guess) {
      var xn = x(now), xe = x(ends);
      el("polygon", { points: pts([[xn, y(s.raised)], [xe, y(guess.high)], [xe, y(guess.low)]]), "class": "chart-band" }, svg);
      el("line", { x1: xn, y1: y(s.raised), x2: xe, y2: y(guess.expected), "class": "chart-trend" }, svg);
    }
    el("polygon", { points: pts(line.concat([[x(now), base], [x(start), base]])), "class": "chart-area" }, svg);
    el("polyline", { points: pts(line), "class": "chart-line" }, svg);
    var gy = y(s.goal);
    el("line", { x1: left, x2: W - right, y1: gy, y2: gy, "class": "chart-goal" }, svg);
    el("text", { x: left + 2, y: gy - 6, "class": "chart-label" }, svg,
       figure.getAttribute("data-goal-label") + " " + C.money(s.goal, s.currency));
    el("circle", { cx: x(now), cy: y(s.raised), r: 4, "class": "chart-dot" }, svg);
    el("text", { x: left, y: H - 8, "class": "chart-label" }, svg, C.dayMonth(dayOf(figure, "starts", start)));
    el("text", { x: W - right, y: H - 8, "text-anchor": "end", "class": "chart-label" }, svg,
       C.dayMonth(dayOf(figure, "ends", ends)));
    if (now < ends && x(now) - left > 70 && W - right - x(now) > 70) {
      el("text", { x: x(now), y: H - 8, "text-anchor": "middle", "class": "chart-label" }, svg, figure.getAttribute("data-today-label"));
    }
    canvas.textContent = "";
    canvas.appendChild(svg);
  }

  function render(figure, s) {
    var section = figure.closest("[data-chart-section]") || figure;
    var summary = figure.querySelector("[data-chart-summary]");
    var legend = figure.querySelector("[data-chart-legend]");
    var canvas = figure.querySelector("[data-chart-canvas]");
    var method = section.querySelector("[data-chart-method]");
    var history = s.history || [];
    section.hidden = false;
    if (method) method.hidden = true;
    if (!history.length) {
      canvas.hidden = true;
      legend.hidden = true;
      C.setText(summary, figure.getAttribute("data-empty"));
      return;
    }
    var ends = Date.parse(s.ends || figure.getAttribute("data-ends"));
    var start = Date.parse(figure.getAttribute("data-starts")) || day(history[0].date);
    start = Math.min(start, day(history[0].date) + DAY, ends - DAY);
    var now = Math.max(Math.min(Date.now(), ends), start);
    var points = series(history, start, now);
    var guess = s.status === "live" ? trend(points, start, now, ends, s.raised, s.currency) : null;
    var days = Math.max(1, Math.ceil((now - start) / DAY));
    var money = function (v) { return C.money(v, s.currency); };
    C.setText(summary, C.plural(figure, "past-", days, { raised: money(s.raised) }));
    canvas.hidden = false;
    legend.hidden = false;
    legend.classList.toggle("no-trend", !guess);
    if (method) method.hidden = !guess;
    draw(figure, s, points, start, now, ends, guess);
  }

  var last = null, timer = null;
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { if (last) render(last[0], last[1]); }, 200);
  });

  C.chart = function (figure, stats) {
    last = [figure, stats];
    render(figure, stats);
  };
  C.chart.trend = trend;  // for a look from the console
})();

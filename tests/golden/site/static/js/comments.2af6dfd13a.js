/* Cagnotte: the campaign's public comments, read from GET {api}/campaigns/{slug}/comments
   after the page is shown. Every comment is written with textContent (never as HTML);
   only http(s) addresses become links, rel="nofollow ugc noopener". The form posts
   without JavaScript; with it, "Reply" names the comment answered. */
(function () {
  "use strict";
  var C = window.Cagnotte;
  var box = document.querySelector("[data-comments]");
  if (!C || !box || !window.fetch) return;
  var list = box.querySelector("[data-comment-list]");
  var more = box.querySelector("[data-comments-more]");
  var form = box.querySelector("[data-comment-form]");
  var parent = form.querySelector("[data-comment-parent]");
  var replying = form.querySelector("[data-comment-replying]");
  var slug = box.getAttribute("data-campaign");
  var URL_RE = /https?:\/\/[^\s<>"']+/gi;
  var items = {}, next = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  // Plain text with its web addresses as links (the text itself is never parsed as HTML).
  function linked(text) {
    var p = el("p", "comment-text"), last = 0, m;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text))) {
      var url = m[0].replace(/[.,;:!?)\]}]+$/, "");
      p.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = el("a", null, url);
      a.href = url;
      a.rel = "nofollow ugc noopener";
      p.appendChild(a);
      last = m.index + url.length;
      URL_RE.lastIndex = last;
    }
    p.appendChild(document.createTextNode(text.slice(last)));
    return p;
  }

  function badge(on, name) {
    return on ? el("span", "badge badge-" + name, box.getAttribute("data-" + name)) : null;
  }

  function render(c) {
    var li = el("li", "comment" + (c.parent ? " comment-reply" : ""));
    li.id = "comment-" + c.id;
    var meta = el("p", "comment-meta");
    meta.appendChild(el("strong", "comment-name", c.name));
    [badge(c.backer, "backer"), badge(c.creator, "creator"), badge(c.pinned, "pinned")].forEach(function (b) {
      if (b) { meta.appendChild(document.createTextNode(" ")); meta.appendChild(b); }
    });
    var when = el("time", null, new Date(c.created_at).toLocaleDateString(C.lang));
    when.dateTime = c.created_at;
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(when);
    li.appendChild(meta);
    li.appendChild(linked(c.text));
    if (!c.parent) {
      var answer = el("button", "link-button", box.getAttribute("data-reply"));
      answer.type = "button";
      answer.addEventListener("click", function () { reply(c); });
      li.appendChild(answer);
      li.appendChild(el("ol", "comment-replies"));
    }
    return li;
  }

  function reply(c) {
    parent.value = c ? c.id : "";
    replying.hidden = !c;
    if (c) {
      replying.firstChild.textContent = C.fill(box.getAttribute("data-replying"), { name: c.name });
      form.querySelector("textarea").focus();
    }
  }

  function load() {
    var query = next ? "?cursor=" + encodeURIComponent(next) : "";
    return C.getJSON("/campaigns/" + encodeURIComponent(slug) + "/comments" + query).then(function (data) {
      if (!data) return;
      // The conversations the build baked in for readers without JavaScript give way to the live list.
      Array.prototype.forEach.call(list.querySelectorAll("[data-baked]"), function (node) {
        if (node.parentNode === list) list.removeChild(node);
      });
      data.comments.forEach(function (c) {
        if (items[c.id]) return;
        var node = items[c.id] = render(c);
        var top = c.parent && items[c.parent];
        (top ? top.querySelector(".comment-replies") : list).appendChild(node);
      });
      next = data.next;
      more.hidden = !next;
      box.querySelector("[data-comments-empty]").hidden = list.children.length > 0;
    });
  }

  form.querySelector("[data-comment-cancel]").addEventListener("click", function () { reply(null); });
  more.addEventListener("click", load);
  load();
})();

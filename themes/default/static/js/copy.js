/* Cagnotte: copy buttons (button[data-copy]): the text of data-copy, or the value of
   the element named by data-copy-target; a visible confirmation beside the button.
   The buttons are hidden in the HTML and shown here, where they can work. */
(function () {
  "use strict";

  function fallback(text, field) {
    // Older browsers and pages without clipboard permission: select, then execCommand.
    var temp = null;
    if (!field) {
      temp = field = document.createElement("textarea");
      field.value = text;
      field.setAttribute("readonly", "");
      field.className = "visually-hidden";
      document.body.appendChild(field);
    }
    field.focus();
    field.select();
    var done = false;
    try { done = document.execCommand("copy"); } catch (e) { done = false; }
    if (temp) document.body.removeChild(temp);
    return done;
  }

  function copy(button) {
    var id = button.getAttribute("data-copy-target");
    var field = id ? document.getElementById(id) : null;
    var text = field ? field.value : button.getAttribute("data-copy");
    var status = button.parentNode.querySelector("[data-copy-status]");
    function say(ok) {
      if (!ok && field) { field.focus(); field.select(); }
      status.textContent = button.getAttribute(ok ? "data-copied" : "data-copy-failed");
      clearTimeout(button._cagnotteTimer);
      button._cagnotteTimer = setTimeout(function () { status.textContent = ""; }, 5000);
    }
    if (!text) return;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { say(true); }, function () { say(fallback(text, field)); });
    } else {
      say(fallback(text, field));
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (button) copy(button);
  });
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    // A button whose text comes later (the thanks page's link) is shown by its own script.
    if (button.getAttribute("data-copy") || button.hasAttribute("data-copy-target")) button.hidden = false;
  });
})();

/* Cagnotte: the campaign video behind a facade. Nothing is asked of the video's host
   (YouTube, Vimeo, a PeerTube instance) before the backer clicks; then its
   privacy-friendly player (youtube-nocookie.com, Vimeo with dnt=1, PeerTube's
   /videos/embed/) takes the facade's place. Without JavaScript the facade is a link. */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("a[data-video]"), function (link) {
    link.addEventListener("click", function (event) {
      if (event.button || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      var frame = document.createElement("iframe");
      frame.className = "video-frame";
      frame.src = link.getAttribute("data-video");
      frame.title = link.getAttribute("data-video-title") || link.textContent.trim();
      frame.allow = "autoplay; encrypted-media; fullscreen; picture-in-picture";
      frame.allowFullscreen = true;
      frame.referrerPolicy = "strict-origin-when-cross-origin";
      link.parentNode.replaceChild(frame, link);
      frame.focus();
    });
  });
})();

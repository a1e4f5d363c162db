/* A display formula wider than the text column is drawn smaller until it fits (MathJax 3 does not break lines),
   so that a page never scrolls sideways on a phone; pinch to zoom into it. Marks <html data-math-fitted> when done. */
(function () {
  "use strict";
  function fit() {
    document.querySelectorAll('mjx-container[display="true"]').forEach(function (box) {
      box.style.fontSize = "";
      var room = box.clientWidth, need = box.scrollWidth;
      if (room > 0 && need > room) { box.style.fontSize = Math.floor(100 * room / need) + "%"; }
    });
    document.documentElement.setAttribute("data-math-fitted", "1");
  }
  window.addEventListener("load", function () {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) { MathJax.startup.promise.then(fit); }
    else { fit(); }
  });
  window.addEventListener("resize", fit);
})();

// Client script for the job pages: rewrites <time datetime data-local-time> in the browser's own timezone, on
// load and after every htmx swap. Served by the jobs plugin (the CSP allows only same-origin scripts).
export const LOCAL_TIME_PATH = "/ui/jobs/local-time.js";

export const LOCAL_TIME_JS = `"use strict";
(function () {
  if (window.__btickLocalTime) return;
  window.__btickLocalTime = true;
  var fmt;
  try {
    fmt = new Intl.DateTimeFormat(undefined, {
      year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short"
    });
  } catch (e) { return; }
  function apply() {
    var nodes = document.querySelectorAll("time[data-local-time]:not([data-local-applied])");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d.getTime())) continue;
      el.textContent = fmt.format(d);
      el.setAttribute("data-local-applied", "");
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", apply);
  else apply();
  document.addEventListener("htmx:afterSettle", apply);
})();
`;

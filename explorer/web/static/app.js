// traceAI explorer: small progressive enhancements. Every page works
// without this script.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Whole table rows open their session or user.
  document.addEventListener("click", function (e) {
    var tr = e.target.closest("tr[data-href]");
    if (!tr || e.target.closest("a, button, input, select") || e.button !== 0) return;
    if (window.getSelection && String(window.getSelection()).length > 0) return;
    var href = tr.getAttribute("data-href");
    if (href && href.charAt(0) === "/") {
      if (e.ctrlKey || e.metaKey) window.open(href, "_blank");
      else window.location.href = href;
    }
  });

  // Selects marked autosubmit apply the filter at once.
  document.querySelectorAll("select.autosubmit").forEach(function (sel) {
    sel.addEventListener("change", function () {
      var f = sel.form;
      if (!f) return;
      var c = f.querySelector("input[name=cursor]");
      if (c) c.remove();
      f.requestSubmit ? f.requestSubmit() : f.submit();
    });
  });

  // Empty filter fields stay out of the URL.
  document.querySelectorAll("form.filters").forEach(function (f) {
    f.addEventListener("submit", function () {
      f.querySelectorAll("input, select").forEach(function (el) {
        if (el.name && el.value === "") el.disabled = true;
      });
    });
  });

  // Waterfall: select a span without a round trip when its details were sent.
  var rows = document.querySelectorAll(".wf-row");
  function select(id) {
    var panel = document.querySelector('.span-detail[data-span="' + CSS.escape(id) + '"]');
    if (!panel) return false;
    document.querySelectorAll(".span-detail").forEach(function (p) { p.hidden = p !== panel; });
    rows.forEach(function (r) { r.classList.toggle("selected", r.getAttribute("data-span") === id); });
    return true;
  }
  document.querySelectorAll(".wf-row a.span-link").forEach(function (a) {
    a.addEventListener("click", function (e) {
      if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
      var id = a.closest(".wf-row").getAttribute("data-span");
      if (select(id)) {
        e.preventDefault();
        history.replaceState(null, "", a.getAttribute("href"));
      }
    });
  });

  // Waterfall: collapse and expand a span's subtree.
  document.querySelectorAll(".wf-row .twisty").forEach(function (b) {
    b.addEventListener("click", function () {
      var row = b.closest(".wf-row");
      var depth = +row.getAttribute("data-depth");
      var open = b.getAttribute("aria-expanded") === "true";
      b.setAttribute("aria-expanded", open ? "false" : "true");
      b.textContent = open ? "▸" : "▾";
      b.title = open ? "Expand children" : "Collapse children";
      var hideBelow = null;
      for (var r = row.nextElementSibling; r; r = r.nextElementSibling) {
        var d = +r.getAttribute("data-depth");
        if (d <= depth) break;
        if (open) { r.hidden = true; continue; }
        // Expanding: show rows unless an ancestor below us stays collapsed.
        if (hideBelow !== null && d > hideBelow) continue;
        hideBelow = null;
        r.hidden = false;
        var t = r.querySelector(".twisty");
        if (t && t.getAttribute("aria-expanded") === "false") hideBelow = d;
      }
    });
  });

  // Times: add the local time as a tooltip.
  document.querySelectorAll("time[datetime]").forEach(function (t) {
    var d = new Date(t.getAttribute("datetime"));
    if (!isNaN(d)) t.title = (t.title ? t.title + "\n" : "") + d.toLocaleString() + " (local)";
  });
})();

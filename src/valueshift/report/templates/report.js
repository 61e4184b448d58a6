// Sorting and filtering of the report's tables; no libraries, nothing loaded from the network.
(function () {
  "use strict";
  function key(cell, numeric) {
    var s = cell.getAttribute("data-sort");
    if (s === null || s === "") { return null; }  // missing values sort last in both directions
    return numeric ? parseFloat(s) : s;
  }
  function sortTable(table, col, numeric, dir) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[col], numeric), y = key(b.cells[col], numeric);
      if (x === null && y === null) { return 0; }
      if (x === null) { return 1; }
      if (y === null) { return -1; }
      var c = numeric ? x - y : (x < y ? -1 : x > y ? 1 : 0);
      return dir === "ascending" ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.setAttribute("aria-sort", i === col ? dir : "none");
    });
  }
  function filterTable(table, text) {
    var words = text.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0, rows = table.tBodies[0].rows;
    for (var i = 0; i < rows.length; i++) {
      var hay = rows[i].textContent.toLowerCase();
      var ok = words.every(function (w) { return hay.indexOf(w) >= 0; });
      rows[i].hidden = !ok;
      if (ok) { shown++; }
    }
    var count = document.getElementById(table.id + "-count");
    if (count) { count.textContent = shown + " of " + rows.length + " rows"; }
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("button.sort").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var th = btn.parentNode;
        var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        sortTable(table, parseInt(btn.getAttribute("data-col"), 10), btn.getAttribute("data-numeric") === "1", dir);
      });
    });
  });
  document.querySelectorAll("input.table-filter").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-for"));
    input.addEventListener("input", function () { filterTable(table, input.value); });
  });
  window.valueshiftReport = { sortTable: sortTable, filterTable: filterTable };
}());

// Indicator grid: paste from Excel (two rows of 12, or 12 rows of two) into the monthly inputs.
// Progressive enhancement: without JavaScript the paste area stays hidden and the inputs work alone.
(function () {
  "use strict";

  // Rows split by newlines, cells by tabs (Excel), commas or runs of spaces.
  function parse(text) {
    var lines = text.replace(/\r/g, "").split("\n");
    while (lines.length && lines[lines.length - 1].trim() === "") lines.pop();
    return lines.map(function (line) {
      var sep = line.indexOf("\t") >= 0 ? "\t" : (line.indexOf(",") >= 0 ? "," : /\s+/);
      return line.split(sep).map(function (cell) { return cell.trim().replace(/,/g, ""); });
    });
  }

  function input(form, month, field) {
    return form.querySelector('input[data-month="' + month + '"][data-field="' + field + '"]');
  }

  // Fill from (month, field) onwards: a row runs across months, a second row is the denominator;
  // a two-column block runs down the months instead.
  function fill(form, rows, startMonth, startField) {
    var filled = 0;
    var columnPairs = rows.length > 2 && rows.every(function (r) { return r.length <= 2; });
    if (columnPairs) {
      rows.forEach(function (r, i) {
        ["numerator", "denominator"].forEach(function (field, j) {
          var el = input(form, startMonth + i, field);
          if (el && r[j] !== undefined) { el.value = r[j]; filled += 1; }
        });
      });
      return filled;
    }
    var fields = startField === "denominator" ? ["denominator"] : ["numerator", "denominator"];
    rows.slice(0, fields.length).forEach(function (r, i) {
      r.forEach(function (value, j) {
        var el = input(form, startMonth + j, fields[i]);
        if (el) { el.value = value; filled += 1; }
      });
    });
    return filled;
  }

  function announce(form, count) {
    var state = form.querySelector("[data-paste-state]");
    if (state) state.textContent = "已填入 " + count + " 个单元格，请核对后保存。";
  }

  function init(form) {
    var area = form.querySelector("[data-paste-area]");
    var box = form.querySelector("#paste");
    if (area) area.hidden = false;
    if (box) {
      box.addEventListener("paste", function (event) {
        var text = (event.clipboardData || window.clipboardData).getData("text");
        event.preventDefault();
        announce(form, fill(form, parse(text), 1, "numerator"));
        box.value = "";
      });
      box.addEventListener("change", function () {
        if (box.value.trim()) { announce(form, fill(form, parse(box.value), 1, "numerator")); box.value = ""; }
      });
    }
    // A block pasted straight into a cell fills from that cell; a single value pastes as usual.
    form.addEventListener("paste", function (event) {
      var el = event.target;
      if (!el.matches || !el.matches("input[data-month]")) return;
      var text = (event.clipboardData || window.clipboardData).getData("text");
      if (!/[\t\n]/.test(text.trim())) return;
      event.preventDefault();
      announce(form, fill(form, parse(text), Number(el.dataset.month), el.dataset.field));
    });
  }

  function start() {
    document.querySelectorAll(".value-grid-form").forEach(init);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

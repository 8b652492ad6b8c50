// anesqc rating workspace: keyboard shortcuts and the flow from one criterion to the next.
// Progressive enhancement only: without this script each criterion's form still saves (htmx, or a plain post).
// No inline handlers and no eval (the CSP forbids both); app.js keeps the autosave's session-expiry replay.
(() => {
  if (window.anesqcWorkspace) return;
  window.anesqcWorkspace = true;

  const KEYS = { 1: "met", 2: "partial", 3: "unmet" };
  const ROW = "#criteria article.criterion";
  const rows = () => Array.from(document.querySelectorAll(ROW));
  const rowOf = (elt) => (elt && elt.closest ? elt.closest(ROW) : null);
  const formOf = (row) => row && row.querySelector("form.crit-form");
  const stateOf = (row) => row && row.querySelector(".save-state");
  const editable = (row) => Boolean(formOf(row));
  const rated = (row) => Boolean(row.querySelector("input[name=rating]:checked"));
  const advanceAfterSave = new Set(); // ids of rows whose save, once answered, moves the focus on
  let lastArrowKey = 0; // arrow keys inside a radio group select as they go: no jumping away then
  let tap = { id: "", at: 0 }; // a tap or click on a rating button moves on, as the shortcuts do

  const say = (row, textKey, cls) => {
    const state = stateOf(row);
    if (!state) return;
    state.textContent = state.dataset[textKey] || "";
    state.className = `save-state ${cls}`;
  };

  // The focus lands on the rating group of a row (the chosen button, else the first), or on the row itself.
  const focusRow = (row) => {
    if (!row) return;
    const target = row.querySelector("input[name=rating]:checked") || row.querySelector("input[name=rating]") || row;
    target.focus();
  };
  const step = (from, delta) => {
    const all = rows();
    if (!all.length) return null;
    const at = from ? all.indexOf(from) : -1;
    if (at < 0) return delta > 0 ? all[0] : all[all.length - 1];
    return all[at + delta] || null;
  };
  const nextUnrated = (from) => {
    const all = rows();
    const at = from ? all.indexOf(from) : -1;
    const order = [...all.slice(at + 1), ...all.slice(0, Math.max(at + 1, 0))];
    return order.find((row) => editable(row) && !rated(row)) || null;
  };
  const advance = (row) => {
    const next = step(row, 1);
    if (next) focusRow(next);
  };

  // 基本达标 needs its score: show the field, say so, and put the cursor there (not while arrowing through).
  const askForScore = (row, focus) => {
    const score = row.querySelector("input[name=score]");
    if (!score || score.value.trim()) return;
    say(row, "needsScoreText", "pending");
    if (focus) score.focus();
  };

  const choose = (row, value) => {
    const radio = row.querySelector(`input[name=rating][value="${value}"]`);
    if (!radio) return false;
    if (!radio.checked) {
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
    } else if (value === "partial") {
      row.querySelector("input[name=score]")?.focus();
    }
    return true;
  };

  // Enter in the score field saves it at once; the focus moves on once the save is answered (or stays, with
  // the reason at the field, when it is refused).
  const saveScore = (input) => {
    const row = rowOf(input);
    const form = input.form;
    if (!row || !form || !window.htmx) return;
    advanceAfterSave.add(row.id);
    htmx.trigger(form, "submit");
  };

  const typing = (elt) =>
    elt.matches &&
    (elt.matches("textarea, select, [contenteditable]") ||
      (elt.matches("input") && !["radio", "checkbox", "button", "submit", "reset"].includes(elt.type)));

  document.addEventListener("keydown", (event) => {
    if (!document.querySelector("[data-workspace]")) return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const target = event.target;
    if (event.key.startsWith("Arrow")) lastArrowKey = Date.now();
    if (event.key === "Enter" && target.matches && target.matches(".crit-form input[name=score]")) {
      event.preventDefault();
      saveScore(target);
      return;
    }
    if (typing(target)) return;
    const row = rowOf(target);
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (KEYS[key] && row) {
      if (!choose(row, KEYS[key])) return;
      event.preventDefault();
      if (key !== "2") advance(row);
    } else if (key === "j" || key === "k" || ((key === "ArrowDown" || key === "ArrowUp") && row)) {
      const next = step(row, key === "j" || key === "ArrowDown" ? 1 : -1);
      event.preventDefault();
      if (next) focusRow(next);
    } else if (key === "n") {
      event.preventDefault();
      focusRow(nextUnrated(row));
    } else if (key === "?") {
      const help = document.getElementById("ws-help");
      if (help) {
        event.preventDefault();
        help.open = !help.open;
      }
    }
  });

  document.addEventListener("pointerdown", (event) => {
    const label = event.target.closest && event.target.closest(".rating-buttons label");
    const row = rowOf(label);
    if (row) tap = { id: row.id, at: Date.now() };
  });

  document.addEventListener("change", (event) => {
    const field = event.target;
    const form = field.form;
    if (!form || !form.matches("form.crit-form")) return;
    const row = rowOf(form);
    if (!form.contains(field)) {
      // The remark lives in the details, outside the form it belongs to: its change saves that form.
      if (window.htmx) htmx.trigger(form, "change");
      return;
    }
    if (field.name !== "rating") return;
    if (field.value === "partial") {
      askForScore(row, Date.now() - lastArrowKey > 300);
    } else if (tap.id === row.id && Date.now() - tap.at < 1500) {
      tap = { id: "", at: 0 };
      advance(row);
    }
  });

  // Typing makes the line say so at once: it never claims a value is saved while the field shows another.
  document.addEventListener("input", (event) => {
    const form = event.target.form;
    if (form && form.matches("form.crit-form")) say(rowOf(form), "dirtyText", "dirty");
  });

  // A criterion's answer replaces its whole line: keep its details open if they were, so typing goes on.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (!target || !target.matches || !target.matches("article.criterion")) return;
    const open = target.querySelector(".crit-more")?.open;
    if (open && typeof event.detail.serverResponse === "string") {
      event.detail.serverResponse = event.detail.serverResponse.replace(
        '<details class="crit-more"',
        '<details class="crit-more" open',
      );
    }
  });

  document.addEventListener("htmx:afterSettle", () => {
    for (const id of Array.from(advanceAfterSave)) {
      const row = document.getElementById(id);
      const form = formOf(row);
      if (!row || (form && form.classList.contains("htmx-request"))) continue;
      advanceAfterSave.delete(id);
      if (row.querySelector(".save-state.saved")) advance(row);
      else (row.querySelector("[aria-invalid=true]") || row.querySelector("input[name=score]") || row).focus();
    }
    // After an evidence upload or deletion, the line's count follows its block (the department's: the
    // inspectors' own files on an inspection are not counted in the line).
    document.querySelectorAll(`${ROW} .evidence-block:not(.inspection-evidence)`).forEach((block) => {
      const count = rowOf(block)?.querySelector("[data-evidence-count]");
      const n = block.querySelectorAll(".evidence-item").length;
      if (count) count.textContent = count.textContent.replace(/\d+/, String(n));
    });
    measureBar();
  });
  document.addEventListener("htmx:responseError", (event) => {
    const row = rowOf(event.detail.elt);
    if (row) advanceAfterSave.delete(row.id);
  });
  // Without a network the save is kept on this device (offline.js): the flow goes on as after a save.
  document.addEventListener("anesqc:queued", (event) => {
    const row = rowOf(event.target);
    if (row && advanceAfterSave.delete(row.id)) advance(row);
  });

  // Saves of different criteria run side by side and their answers may arrive in any order: each carries the
  // totals bar for the ratings revision it read, and a bar older than the one shown is not swapped in.
  document.addEventListener("htmx:oobBeforeSwap", (event) => {
    const { target, fragment } = event.detail;
    if (!target || target.id !== "totals" || !fragment) return;
    const incoming = fragment.querySelector ? fragment.querySelector("#totals") || fragment.firstElementChild : null;
    const shown = Number(target.dataset.revision || 0);
    const received = Number((incoming && incoming.dataset.revision) || 0);
    if (shown && received && received < shown) event.detail.shouldSwap = false;
  });

  // Anchors and the focus land below the sticky totals bar, whose height depends on the width.
  const measureBar = () => {
    const bar = document.getElementById("totals");
    if (bar) document.documentElement.style.setProperty("--ws-bar", `${bar.offsetHeight}px`);
  };
  window.addEventListener("resize", measureBar);
  document.addEventListener("DOMContentLoaded", measureBar);
})();

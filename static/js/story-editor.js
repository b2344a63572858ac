// The story writing screen in the admin (templates/admin/articles/article/change_form.html):
// text areas that grow with their text, folded panels that open on an error, and story rows
// (sections, takeaways, credits, calls to action, bylines) that move by drag, by keyboard
// ("Move up" / "Move down") and take a new row where the writer asks ("Add section here").
// django-admin-sortable2 does the dragging: it drags rows with the class has_original and
// numbers their hidden position fields (input._reorder_) in page order; this file keeps to
// the same rule for rows it moves or adds.
"use strict";
{
  const growsByItself = window.CSS && CSS.supports("field-sizing", "content");

  function grow(textarea) {
    if (growsByItself || !textarea.matches(".story-editor textarea")) return;
    textarea.style.height = "auto";
    textarea.style.height = `${textarea.scrollHeight + 2}px`;
  }

  function announce(message) {
    const region = document.getElementById("story-editor-announcer");
    // Cleared first so the same words twice are read twice.
    region.textContent = "";
    window.setTimeout(() => { region.textContent = message; }, 50);
  }

  function rowsOf(group) {
    return [...group.querySelectorAll(".story-row:not(.empty-form)")];
  }

  function rowTitle(group, row, position) {
    const heading = row.querySelector("input[name$='-heading']");
    const title = `${group.dataset.rowName} ${position}`;
    return heading && heading.value.trim() ? `${title}, “${heading.value.trim()}”` : title;
  }

  // A table row's error about the row as a whole is drawn as a table row of its own, just
  // above it: it goes where its row goes, or it would name the wrong row after a move.
  const errorsOfRow = new Map();

  function keepErrorsWithTheirRows() {
    errorsOfRow.forEach((errors, row) => {
      if (row.previousElementSibling !== errors) row.before(errors);
    });
  }

  // Give every row its position (1, 2, 3 … in page order), as the library does after a drag.
  function renumber(group) {
    keepErrorsWithTheirRows();
    rowsOf(group).forEach((row, index) => {
      const order = row.querySelector("input._reorder_");
      if (order) order.value = String(index + 1);
    });
    relabel(group);
  }

  // Say in each row's buttons which row they move. Positions are left as saved until a row
  // moves: numbering on load would make every row look changed.
  function relabel(group) {
    rowsOf(group).forEach((row, index) => {
      const title = rowTitle(group, row, index + 1);
      row.querySelectorAll("[data-story-move]").forEach((button) => {
        button.setAttribute("aria-label", `Move ${button.dataset.storyMove}: ${title}`);
      });
      const insert = row.querySelector("[data-story-insert]");
      if (insert) insert.setAttribute("aria-label", `Add a ${group.dataset.rowName.toLowerCase()} after ${title}`);
    });
  }

  // Django numbers form fields by their place in the page after a new row is removed. The
  // first rows by number must be the saved ones (each is found by its id): number those
  // first, then the new ones, whatever order the writer put them in.
  function renumberForms(group) {
    const prefix = group.id.replace(/-group$/, "");
    const rows = rowsOf(group);
    const saved = (row) => Boolean(row.querySelector(`input[name$='-id'][type='hidden']`)?.value);
    const pattern = new RegExp(`^${prefix}-(\\d+|__prefix__)(?=-|$)`);
    [...rows.filter(saved), ...rows.filter((row) => !saved(row))].forEach((row, index) => {
      for (const element of [row, ...row.querySelectorAll("[id], [name], [for]")]) {
        for (const attribute of ["id", "name", "for"]) {
          const value = element.getAttribute(attribute);
          if (value && pattern.test(value)) {
            element.setAttribute(attribute, value.replace(pattern, `${prefix}-${index}`));
          }
        }
      }
    });
  }

  function move(button) {
    const row = button.closest(".story-row");
    const group = row.closest(".story-rows");
    const rows = rowsOf(group);
    const from = rows.indexOf(row);
    const to = button.dataset.storyMove === "up" ? from - 1 : from + 1;
    const name = group.dataset.rowName;
    if (to < 0 || to >= rows.length) {
      announce(`${name} ${from + 1} is already ${to < 0 ? "first" : "last"}.`);
      return;
    }
    if (to < from) rows[to].before(row);
    else rows[to].after(row);
    renumber(group);
    button.focus();
    announce(`${name} ${from + 1} moved to position ${to + 1}.`);
  }

  function insertAfter(button) {
    const row = button.closest(".story-row");
    const group = row.closest(".story-rows");
    const add = group.querySelector(".add-row a");
    if (!add) return;
    add.click();
    const rows = rowsOf(group);
    const added = rows[rows.length - 1];
    row.after(added);
    renumber(group);
    const position = rowsOf(group).indexOf(added) + 1;
    added.querySelector("input:not([type='hidden']), textarea, [contenteditable='true']")?.focus();
    announce(`New ${group.dataset.rowName.toLowerCase()} added at position ${position}.`);
  }

  document.addEventListener("click", (event) => {
    const moveButton = event.target.closest("[data-story-move]");
    if (moveButton) move(moveButton);
    const insertButton = event.target.closest("[data-story-insert]");
    if (insertButton) insertAfter(insertButton);
  });

  document.addEventListener("input", (event) => {
    if (event.target instanceof HTMLTextAreaElement) grow(event.target);
    const group = event.target.closest?.(".story-rows");
    if (group && event.target.matches("input[name$='-heading']")) relabel(group);
  });

  document.addEventListener("formset:added", (event) => {
    const group = event.target.closest(".story-rows");
    if (!group) return;
    // A new row can be dragged at once, before the story is saved.
    event.target.classList.add("has_original");
    relabel(group);
    event.target.querySelectorAll("textarea").forEach(grow);
  });

  document.addEventListener("formset:removed", (event) => {
    const group = document.getElementById(`${event.detail.formsetName}-group`);
    if (!group?.classList.contains("story-rows")) return;
    // Django renumbers the forms after telling of the removal: put ours right after it.
    window.setTimeout(() => {
      renumberForms(group);
      relabel(group);
    });
  });

  // SortableJS (inside django-admin-sortable2) reports a finished drag as an "update" event.
  document.addEventListener("update", (event) => {
    const group = event.target.closest?.(".story-rows");
    if (group) renumber(group);
  });

  // The rich-text editor and the tag box draw fields of their own that no <label> names:
  // name them after the label of the field they stand for.
  function nameDrawnFields() {
    document.querySelectorAll(".prose-editor").forEach((editor) => {
      const label = document.querySelector(`label[for="${editor.querySelector("textarea")?.id}"]`);
      const textbox = editor.querySelector("[contenteditable='true']");
      if (!label || !textbox || textbox.hasAttribute("aria-labelledby")) return;
      label.id ||= `${label.htmlFor}_label`;
      textbox.setAttribute("aria-labelledby", label.id);
    });
    document.querySelectorAll("select.tag-select + .select2 .select2-search__field").forEach((search) => {
      const select = search.closest(".select2").previousElementSibling;
      const label = document.querySelector(`label[for="${select.id}"]`);
      if (label && !search.hasAttribute("aria-label")) {
        search.setAttribute("aria-label", label.textContent.replace(/:$/, "").trim());
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("article_form");
    if (form) {
      // Both are drawn after the page loads, and again for new rows and each new tag.
      new MutationObserver(nameDrawnFields).observe(form, { childList: true, subtree: true });
      nameDrawnFields();
    }
    document.querySelectorAll(".story-rows .row-form-errors").forEach((errors) => {
      errorsOfRow.set(errors.nextElementSibling, errors);
    });
    document.querySelectorAll(".story-rows").forEach(relabel);
    document.querySelectorAll(".story-editor textarea").forEach(grow);
    // A save refused for a field inside a folded panel must show why.
    document.querySelectorAll("#article_form details").forEach((details) => {
      if (details.querySelector(".errorlist, .errors")) details.open = true;
    });
  });
}

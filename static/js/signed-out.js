/* The signed-out page (templates/registration/logged_out.html): what static/js/autosave.js
   kept in this browser. A copy the server has ("synced") goes at once; a copy it never got is
   the only place that text exists, so it is offered, and forgotten only when the user says. */
"use strict";

(() => {
  const PREFIX = "newsroom:autosave:";
  const notice = document.getElementById("unsent-writing");
  const unsent = [];
  try {
    for (const key of Object.keys(localStorage)) {
      if (!key.startsWith(PREFIX)) continue;
      let copy = null;
      try {
        copy = JSON.parse(localStorage.getItem(key));
      } catch {
        // Not ours to read: forget it like a synced copy.
      }
      if (copy && copy.synced === false) unsent.push(key);
      else localStorage.removeItem(key);
    }
  } catch {
    return; // storage switched off: nothing was kept
  }
  if (!notice || unsent.length === 0) return;
  notice.querySelector("[data-unsent-count]").textContent =
    unsent.length === 1 ? "one story" : `${unsent.length} stories`;
  notice.hidden = false;
  notice.querySelector("[data-forget-unsent]").addEventListener("click", () => {
    unsent.forEach((key) => localStorage.removeItem(key));
    notice.querySelector(".warning").textContent = "Forgotten: this browser keeps none of your writing.";
    notice.querySelector("[data-forget-unsent]").remove();
  });
})();

// The edit page's live preview. A moment after the editor stops typing, the form (without
// its pictures) is posted to the preview address and the answer, the readers' page drawn by
// the readers' templates, is shown beside the form. Nothing is saved.
(function () {
  "use strict";
  const panel = document.getElementById("live-preview");
  const toggle = document.getElementById("live-preview-toggle");
  const form = document.getElementById("article_form");
  if (!panel || !toggle || !form) return;
  const frame = panel.querySelector("iframe");
  const status = panel.querySelector("[role=status]");
  const WAIT_MS = 500;
  const DESKTOP_WIDTH = 1280;
  let timer = null;
  let pending = null;

  function postedForm() {
    const data = new FormData(form);
    for (const [name, value] of Array.from(data.entries())) {
      if (value instanceof File) data.delete(name);
    }
    return data;
  }

  function fitDesktopWidth() {
    // The desktop page is drawn 1280 px wide and scaled down to the panel.
    const scale = Math.min(1, frame.parentElement.clientWidth / DESKTOP_WIDTH);
    panel.style.setProperty("--preview-scale", String(scale));
  }

  async function refresh() {
    if (panel.hidden) return;
    if (pending) pending.abort();
    pending = new AbortController();
    status.textContent = "Updating the preview…";
    try {
      const response = await fetch(panel.dataset.url, {
        method: "POST",
        body: postedForm(),
        credentials: "same-origin",
        signal: pending.signal,
      });
      if (!response.ok) {
        status.textContent = `The preview could not be updated (the site answered ${response.status}). Your text is still in the form.`;
        return;
      }
      const html = await response.text();
      const scrolled = frame.contentWindow ? frame.contentWindow.scrollY : 0;
      frame.addEventListener(
        "load",
        () => frame.contentWindow && frame.contentWindow.scrollTo(0, scrolled),
        { once: true },
      );
      frame.srcdoc = html;
      status.textContent = "Preview up to date.";
    } catch (error) {
      if (error.name !== "AbortError") {
        status.textContent = "The preview could not be updated: the site cannot be reached. Your text is still in the form.";
      }
    }
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, WAIT_MS);
  }

  function show(open) {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    document.body.classList.toggle("has-live-preview", open);
    if (open) {
      fitDesktopWidth();
      refresh();
    }
  }

  toggle.addEventListener("click", () => show(panel.hidden));
  panel.querySelector("[data-close]").addEventListener("click", () => {
    show(false);
    toggle.focus();
  });
  panel.querySelectorAll("[data-width]").forEach((button) => {
    button.addEventListener("click", () => {
      panel.dataset.preview = button.dataset.width;
      panel.querySelectorAll("[data-width]").forEach((other) => {
        other.setAttribute("aria-pressed", String(other === button));
      });
    });
  });
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  window.addEventListener("resize", fitDesktopWidth);
})();

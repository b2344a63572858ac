/* The story form's autosave (articles/editing/autosave.py).

   What the editor types is kept in this browser at every change and posted to the server
   every few seconds as their unsaved changes, and once more when the tab is hidden or
   closed: a closed tab, a crash or a failed save loses at most those few seconds. The
   server's copy is offered back by the page itself; this browser's copy (a save that never
   arrived: the 503 page, no network) is offered here, and restored through the server. */
"use strict";

(() => {
  const box = document.getElementById("autosave");
  const form = box && box.closest("form");
  if (!form) {
    return;
  }
  const status = document.getElementById("autosave-status");
  const serverOffer = document.getElementById("autosave-offer");
  const localOffer = document.getElementById("autosave-local");
  const key = box.dataset.storageKey;
  const seconds = Math.max(Number(box.dataset.seconds) || 15, 1);
  // The browser's copy is dated in the server's time, so that it compares with the server's
  // saves whatever this computer's clock says.
  const skew = Number(box.dataset.serverNow) - Date.now();
  const serverNow = () => Date.now() + skew;
  let lastSent = JSON.stringify(entries()); // what the server (or this page) already has
  let localTimer = null;
  let submitting = false;
  // While an earlier copy waits for the editor's choice, nothing is written over it.
  let held = Boolean(serverOffer);

  function say(text) {
    if (status.textContent !== text) {
      status.textContent = text; // role=status: read out once, not at every key
    }
  }

  function entries() {
    // Pictures are not kept: only what was typed or chosen.
    return Array.from(new FormData(form)).filter(([, value]) => typeof value === "string");
  }

  function body(list) {
    const data = new FormData();
    list.forEach(([name, value]) => data.append(name, value));
    // A copy kept from an earlier page carries that page's token: send this page's.
    data.set("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    return data;
  }

  function post(url, data) {
    return fetch(url, { method: "POST", body: data, credentials: "same-origin" }).then(
      (response) => {
        if (response.redirected) {
          throw new Error("you are signed out"); // to the login page
        }
        if (response.ok) {
          return response.json();
        }
        return response
          .json()
          .catch(() => ({}))
          .then((answer) => {
            throw new Error(answer.error || "the server did not answer");
          });
      },
    );
  }

  function readLocal() {
    try {
      return JSON.parse(localStorage.getItem(key));
    } catch {
      return null;
    }
  }

  function writeLocal(copy) {
    try {
      localStorage.setItem(key, JSON.stringify(copy));
    } catch {
      // Storage full or switched off: the server's copy still works.
    }
  }

  function forgetLocal() {
    try {
      localStorage.removeItem(key);
    } catch {
      // Nothing kept, nothing to forget.
    }
  }

  function keepLocally() {
    clearTimeout(localTimer);
    localTimer = null;
    if (held) {
      return;
    }
    const list = entries();
    if (JSON.stringify(list) !== lastSent) {
      writeLocal({ savedAt: serverNow(), entries: list, synced: false });
    }
  }

  function changed() {
    if (held) {
      say("Not kept yet: restore or discard your earlier unsaved changes above first.");
      return;
    }
    // Once per pause in typing: a long story is not copied at every key.
    clearTimeout(localTimer);
    localTimer = setTimeout(keepLocally, 300);
  }

  function send() {
    if (held || submitting) {
      return;
    }
    const list = entries();
    const text = JSON.stringify(list);
    if (text === lastSent) {
      return;
    }
    post(box.dataset.saveUrl, body(list))
      .then((answer) => {
        lastSent = text;
        keepLocally(); // writes nothing if the form is still what was sent
        const copy = readLocal();
        if (copy && JSON.stringify(copy.entries) === text) {
          writeLocal({ ...copy, synced: true });
        }
        say(`Saved as draft copy ${new Date(answer.saved_at).toLocaleTimeString()}`);
      })
      .catch((error) => {
        say(
          navigator.onLine
            ? `Not saved (${error.message}): kept in this browser`
            : "Not saved: offline, kept in this browser",
        );
      });
  }

  function sendBeforeLeaving() {
    if (localTimer !== null) {
      keepLocally();
    }
    if (held || submitting) {
      return;
    }
    const list = entries();
    const text = JSON.stringify(list);
    if (text !== lastSent && navigator.sendBeacon(box.dataset.saveUrl, body(list))) {
      lastSent = text;
    }
  }

  function offerLocalCopy() {
    const copy = readLocal();
    if (!copy || !Array.isArray(copy.entries)) {
      return;
    }
    const saved = Math.max(Number(box.dataset.lastSaved), Number(box.dataset.keptAt));
    if (copy.synced || !(copy.savedAt > saved)) {
      forgetLocal(); // the server has this, or a later save
      return;
    }
    localOffer.querySelector("[data-autosave-local-time]").textContent = new Date(
      copy.savedAt - skew,
    ).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    localOffer.hidden = false;
    held = true;
    localOffer.querySelector("[data-autosave-local-restore]").addEventListener("click", () => {
      // Through the server, so that restoring is one path: the form bound to the copy.
      post(box.dataset.saveUrl, body(copy.entries))
        .then(() => {
          writeLocal({ ...copy, synced: true });
          window.location.assign(box.dataset.restoreUrl);
        })
        .catch((error) => say(`Could not restore (${error.message}): try again in a minute.`));
    });
    localOffer.querySelector("[data-autosave-local-discard]").addEventListener("click", () => {
      forgetLocal();
      localOffer.hidden = true;
      held = Boolean(serverOffer && !serverOffer.hidden);
    });
  }

  if (serverOffer) {
    serverOffer.querySelector("[data-autosave-discard]").addEventListener("click", () => {
      const data = new FormData();
      data.set("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      post(box.dataset.discardUrl, data)
        .then(() => {
          serverOffer.hidden = true;
          held = !localOffer.hidden;
          say("Discarded your unsaved changes.");
        })
        .catch((error) => say(`Could not discard (${error.message}): try again in a minute.`));
    });
  }

  offerLocalCopy();
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("formset:added", changed);
  form.addEventListener("formset:removed", changed);
  // Select2 (the tag box) reports its changes through the admin's jQuery only.
  if (window.django && window.django.jQuery) {
    window.django.jQuery(form).on("change", changed);
  }
  form.addEventListener("submit", (event) => {
    keepLocally(); // if this save fails, the text is still here
    submitting = true;
    // Another script may stop the submission: then this page goes on keeping changes.
    setTimeout(() => {
      if (event.defaultPrevented) {
        submitting = false;
      }
    });
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) {
      submitting = false; // back from a failed save, in the same page
    }
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      sendBeforeLeaving();
    }
  });
  window.addEventListener("pagehide", sendBeforeLeaving);
  window.setInterval(send, seconds * 1000);

  // Ctrl+S (Cmd+S) saves the story and stays on it, instead of the browser's "Save page".
  document.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.key.toLowerCase() !== "s") {
      return;
    }
    event.preventDefault();
    const button = form.querySelector("[name=_continue]");
    if (button && !submitting) {
      form.requestSubmit(button);
    }
  });
})();

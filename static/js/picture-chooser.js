// The story form's "Choose from the library" (articles/editing/picture_chooser.py): a dialog
// with a searchable grid of library pictures from the admin's chooser (JSON); a choice fills
// the hidden input with the picture's id and shows its thumbnail. Saving the story copies
// the picture into the hero fields on the server.
"use strict";
{
  function card(entry, choose) {
    const item = document.createElement("li");
    item.className = "picture-card";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "picture-chooser__pick";
    const image = document.createElement("img");
    image.className = "picture-card__thumbnail";
    image.src = entry.thumbnail;
    image.alt = "";
    const words = document.createElement("span");
    words.textContent = entry.alt;
    const credit = document.createElement("span");
    credit.className = "picture-card__credit";
    credit.textContent = entry.credit;
    button.append(image, words, credit);
    button.addEventListener("click", () => choose(entry));
    item.append(button);
    return item;
  }

  function setUp(chooser) {
    const input = chooser.querySelector(".picture-chooser__input");
    // Drawn by the server only for a chosen picture: an <img> must have a source.
    let preview = chooser.querySelector(".picture-chooser__preview");
    const chosen = chooser.querySelector(".picture-chooser__chosen");
    const dialog = chooser.querySelector(".picture-chooser__dialog");
    const search = chooser.querySelector(".picture-chooser__search");
    const results = chooser.querySelector(".picture-chooser__results");
    const message = chooser.querySelector(".picture-chooser__message");
    const clear = chooser.querySelector(".picture-chooser__clear");
    let asked = 0;

    function choose(entry) {
      input.value = entry.id;
      if (!preview) {
        preview = document.createElement("img");
        preview.className = "picture-chooser__preview";
        preview.alt = "";
        input.after(preview);
      }
      preview.src = entry.thumbnail;
      chosen.textContent = `Chosen: ${entry.alt}`;
      clear.hidden = false;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      dialog.close();
    }

    async function load() {
      const ask = ++asked;
      const address = new URL(chooser.dataset.chooseUrl, window.location.href);
      address.searchParams.set("q", search.value);
      let entries;
      try {
        const response = await fetch(address, { headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error(response.statusText);
        entries = (await response.json()).results;
      } catch {
        message.textContent = "The library could not be reached. Try again in a moment.";
        return;
      }
      if (ask !== asked) return; // an older answer arriving after a newer search
      results.replaceChildren(...entries.map((entry) => card(entry, choose)));
      message.textContent = entries.length ? `${entries.length} pictures shown.` : "No picture matches.";
    }

    let pause;
    search.addEventListener("input", () => {
      clearTimeout(pause);
      pause = setTimeout(load, 250);
    });
    chooser.querySelector(".picture-chooser__open").addEventListener("click", () => {
      dialog.showModal();
      load();
    });
    chooser.querySelector(".picture-chooser__close").addEventListener("click", () => dialog.close());
    clear.addEventListener("click", () => {
      input.value = "";
      if (preview) {
        preview.remove();
        preview = null;
      }
      chosen.textContent = "No library picture chosen.";
      clear.hidden = true;
    });
  }

  for (const chooser of document.querySelectorAll(".picture-chooser")) setUp(chooser);
}

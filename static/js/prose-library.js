// The section editor's "Picture" and "Link to a story" buttons (RICH_TEXT_EXTENSIONS in
// articles/models/text.py). Both open a dialog that searches the admin's JSON answers:
// library pictures (PictureAdmin.choose_view, upload_view) and stories by headline
// (articles/editing/link_chooser.py). A picture goes in as <figure><img><figcaption>, a story
// as a link to its reader page; the server checks both again when the story is saved.
import { Extension, crel } from "django-prose-editor/editor";

let counter = 0;
const stylesheets = new Set();

function useStylesheet(url) {
  if (!url || stylesheets.has(url)) return;
  stylesheets.add(url);
  document.head.append(crel("link", { rel: "stylesheet", href: url }));
}

function field(labelText, input) {
  input.id = `prose-chooser-${++counter}`;
  const label = crel("label", { htmlFor: input.id, textContent: labelText });
  return crel("p", { className: "prose-chooser__field" }, [label, input]);
}

// A modal dialog named by its heading; it is removed from the page when closed.
function openDialog(title) {
  const heading = crel("h2", { id: `prose-chooser-${++counter}`, textContent: title });
  const dialog = crel("dialog", { className: "prose-chooser" }, [heading]);
  dialog.setAttribute("aria-labelledby", heading.id);
  const cancel = crel("button", { type: "button", className: "prose-chooser__cancel", textContent: "Cancel" });
  cancel.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  return { dialog, cancel };
}

// A search box that asks `url` for {results: [...]} as the editor types; an older answer
// arriving after a newer search is dropped.
function searchBox(labelText, url, show, message) {
  const input = crel("input", { type: "search", autocomplete: "off" });
  let asked = 0;
  let pause;
  async function load() {
    const ask = ++asked;
    const address = new URL(url, window.location.href);
    address.searchParams.set("q", input.value);
    let results;
    try {
      const response = await fetch(address, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(response.statusText);
      results = (await response.json()).results;
    } catch {
      message.textContent = "The search could not be reached. Try again in a moment.";
      return;
    }
    if (ask !== asked) return;
    show(results);
  }
  input.addEventListener("input", () => {
    clearTimeout(pause);
    pause = setTimeout(load, 250);
  });
  return { box: field(labelText, input), input, load };
}

function shown(count, one, many) {
  if (!count) return `No ${one} matches.`;
  return `${count} ${count === 1 ? one : many} shown.`;
}

function csrfToken() {
  const input = document.querySelector("[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

function insertFigure(editor, picture, alt, caption) {
  const content = [
    { type: "image", attrs: { src: picture.url, alt, width: picture.width, height: picture.height } },
  ];
  if (caption) content.push({ type: "caption", content: [{ type: "text", text: caption }] });
  // A paragraph after the picture, where typing goes on (not in its caption).
  editor.chain().focus().insertContent([{ type: "figure", content }, { type: "paragraph" }]).run();
}

function choosePicture(editor, options) {
  const { dialog, cancel } = openDialog("Insert a picture from the library");
  const message = crel("p", { className: "prose-chooser__message" });
  message.setAttribute("role", "status");
  const results = crel("ul", { className: "prose-chooser__pictures" });

  // Step two: the chosen picture's words, editable before it goes in.
  const altInput = crel("input", { type: "text", required: true, maxLength: 250 });
  const captionInput = crel("input", { type: "text", maxLength: 300 });
  const preview = crel("img", { className: "prose-chooser__preview", alt: "" });
  const insert = crel("button", { type: "submit", textContent: "Insert picture" });
  const details = crel("form", { className: "prose-chooser__details", hidden: true }, [
    preview,
    field("Alt text (what the picture shows)", altInput),
    field("Caption (optional)", captionInput),
    insert,
  ]);
  let chosen = null;
  function pick(picture, button) {
    chosen = picture;
    for (const other of results.querySelectorAll("[aria-pressed]")) other.setAttribute("aria-pressed", "false");
    if (button) button.setAttribute("aria-pressed", "true");
    preview.src = picture.thumbnail;
    altInput.value = picture.alt;
    captionInput.value = picture.caption;
    details.hidden = false;
    altInput.focus();
  }
  details.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!altInput.value.trim()) {
      altInput.setCustomValidity("Every picture needs alt text: say what it shows.");
      altInput.reportValidity();
      return;
    }
    dialog.close();
    insertFigure(editor, chosen, altInput.value.trim(), captionInput.value.trim());
  });
  altInput.addEventListener("input", () => altInput.setCustomValidity(""));

  function show(pictures) {
    results.replaceChildren(
      ...pictures.map((picture) => {
        const thumbnail = crel("img", { src: picture.thumbnail, alt: "" });
        const words = crel("span", { textContent: picture.alt });
        const button = crel("button", { type: "button", className: "prose-chooser__pick" }, [thumbnail, words]);
        button.setAttribute("aria-pressed", "false");
        button.addEventListener("click", () => pick(picture, button));
        return crel("li", {}, [button]);
      }),
    );
    message.textContent = shown(pictures.length, "picture", "pictures");
  }
  const search = searchBox("Search the library", options.chooseUrl, show, message);

  // Or a new picture, which joins the library and is then chosen like any other.
  const file = crel("input", { type: "file", name: "image", accept: "image/jpeg,image/png,image/webp,image/gif" });
  const newAlt = crel("input", { type: "text", name: "alt", maxLength: 250 });
  const newCaption = crel("input", { type: "text", name: "caption", maxLength: 300 });
  const newCredit = crel("input", { type: "text", name: "credit", maxLength: 120 });
  const uploadMessage = crel("p", { className: "prose-chooser__message" });
  uploadMessage.setAttribute("role", "status");
  const upload = crel("form", { className: "prose-chooser__upload" }, [
    field("Picture file", file),
    field("Alt text of the new picture", newAlt),
    field("Caption of the new picture (optional)", newCaption),
    field("Photo credit (optional)", newCredit),
    crel("button", { type: "submit", textContent: "Upload to the library" }),
    uploadMessage,
  ]);
  upload.addEventListener("submit", async (event) => {
    event.preventDefault();
    uploadMessage.textContent = "Uploading…";
    let answer;
    try {
      const response = await fetch(options.uploadUrl, {
        method: "POST",
        body: new FormData(upload),
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      });
      answer = await response.json();
    } catch {
      uploadMessage.textContent = "The upload did not reach the library. Try again in a moment.";
      return;
    }
    if (answer.errors) {
      uploadMessage.textContent = Object.values(answer.errors).flat().join(" ");
      return;
    }
    uploadMessage.textContent = "Added to the library.";
    pick(answer);
  });
  const uploadPanel = crel("details", { className: "prose-chooser__upload-panel" }, [
    crel("summary", { textContent: "Upload a new picture" }),
    upload,
  ]);

  dialog.append(search.box, message, results, uploadPanel, details, cancel);
  document.body.append(dialog);
  dialog.showModal();
  search.load();
}

function chooseStory(editor, options) {
  const { dialog, cancel } = openDialog("Link to a story");
  const message = crel("p", { className: "prose-chooser__message" });
  message.setAttribute("role", "status");
  const results = crel("ul", { className: "prose-chooser__stories" });

  function link(story) {
    dialog.close();
    const chain = editor.chain().focus();
    if (editor.state.selection.empty && !editor.isActive("link")) {
      // Nothing selected: the headline becomes the link's text.
      const text = { type: "text", text: story.headline, marks: [{ type: "link", attrs: { href: story.url } }] };
      chain.insertContent(text).run();
    } else {
      chain.extendMarkRange("link").setLink({ href: story.url }).run();
    }
  }
  function show(stories) {
    results.replaceChildren(
      ...stories.map((story) => {
        const status = crel("span", { className: "prose-chooser__status", textContent: story.status });
        const button = crel("button", { type: "button", className: "prose-chooser__pick" }, [
          crel("span", { textContent: story.headline }),
          status,
        ]);
        button.addEventListener("click", () => link(story));
        return crel("li", {}, [button]);
      }),
    );
    message.textContent = shown(stories.length, "story", "stories");
  }
  const search = searchBox("Find a story by headline", options.chooseUrl, show, message);
  dialog.append(search.box, message, results, cancel);
  document.body.append(dialog);
  dialog.showModal();
  search.load();
}

export const LibraryPicture = Extension.create({
  name: "libraryPicture",
  addOptions() {
    return { chooseUrl: null, uploadUrl: null, stylesheet: null };
  },
  onCreate() {
    useStylesheet(this.options.stylesheet);
  },
  addMenuItems({ buttons, menu }) {
    // The same name as the bundled figure button: this one replaces it.
    menu.defineItem({
      name: "figure",
      groups: "nodes",
      command: (editor) => choosePicture(editor, this.options),
      button: buttons.material("image", "Picture"),
      active: (editor) => editor.isActive("figure"),
    });
  },
});

export const StoryLink = Extension.create({
  name: "storyLink",
  addOptions() {
    return { chooseUrl: null, stylesheet: null };
  },
  onCreate() {
    useStylesheet(this.options.stylesheet);
  },
  addMenuItems({ buttons, menu }) {
    menu.defineItem({
      name: "storyLink",
      groups: "link",
      command: (editor) => chooseStory(editor, this.options),
      button: buttons.material("article", "Link to a story"),
      active: () => false,
    });
  },
});

// Text pasted into a section body from Word or Google Docs (the "CleanPaste" entry of
// RICH_TEXT_EXTENSIONS in articles/models/text.py). Both put the formatting in style attributes
// the page's Content Security Policy will not apply, so the editor cannot read them: Google
// Docs' whole-document <b style="font-weight:normal"> would turn everything bold, and its
// italics would be lost. This turns that formatting into the tags the editor knows, before
// the editor reads the text; the server's sanitiser still decides what is kept.
import { Extension, pm } from "django-prose-editor/editor";

const BOLD = /font-weight\s*:\s*(bold|bolder|[6-9]00)\b/i;
const NOT_BOLD = /font-weight\s*:\s*(normal|lighter|[1-5]00)\b/i;
const ITALIC = /font-style\s*:\s*italic\b/i;
// A section's own heading is the page's <h2>: inside it, subheadings are <h3> and <h4>.
const HEADING_LEVELS = { H1: "h3", H2: "h3", H5: "h4", H6: "h4" };

function unwrap(element) {
  element.replaceWith(...element.childNodes);
}

function rename(element, tag) {
  const renamed = element.ownerDocument.createElement(tag);
  renamed.append(...element.childNodes);
  element.replaceWith(renamed);
  return renamed;
}

function wrapContents(element, tag) {
  const wrapper = element.ownerDocument.createElement(tag);
  wrapper.append(...element.childNodes);
  element.append(wrapper);
}

// A table becomes one paragraph a row, its cells apart by a space: the words survive,
// the layout (which a story body does not have) does not.
function flattenTable(table) {
  const doc = table.ownerDocument;
  const rows = [...table.querySelectorAll("tr")].map((row) => {
    const paragraph = doc.createElement("p");
    [...row.cells].forEach((cell, index) => {
      if (index > 0) paragraph.append(" ");
      paragraph.append(...cell.childNodes);
    });
    return paragraph;
  });
  table.replaceWith(...rows);
}

// Styles go before anything parses them: a document made from this text is still under the
// page's policy, and every style sheet and style attribute in it would be reported. Word's
// style sheet goes; style attributes are renamed, to be read below.
function withStylesRenamed(html) {
  return html
    .replace(/<style[\s\S]*?<\/style>/gi, "")
    .replace(/<[^>]+>/g, (tag) => tag.replace(/\sstyle\s*=/gi, " data-pasted-style="));
}

export function cleanPastedHTML(html) {
  // An inert document: nothing in it loads or runs.
  const doc = new DOMParser().parseFromString(withStylesRenamed(html), "text/html");
  doc.querySelectorAll("meta, style, script, title, o\\:p").forEach((element) => element.remove());
  doc.querySelectorAll("table").forEach(flattenTable);
  doc.querySelectorAll("[data-pasted-style]").forEach((element) => {
    const style = element.getAttribute("data-pasted-style");
    if (/^(B|STRONG)$/.test(element.tagName) && NOT_BOLD.test(style)) {
      unwrap(element);
      return;
    }
    if (BOLD.test(style) && !/^(B|STRONG|H\d)$/.test(element.tagName)) wrapContents(element, "strong");
    if (ITALIC.test(style) && !/^(I|EM)$/.test(element.tagName)) wrapContents(element, "em");
  });
  doc.querySelectorAll("h1, h2, h5, h6").forEach((heading) => rename(heading, HEADING_LEVELS[heading.tagName]));
  doc.querySelectorAll("*").forEach((element) => {
    for (const name of ["data-pasted-style", "class", "id", "dir", "lang"]) element.removeAttribute(name);
  });
  return doc.body.innerHTML;
}

export const CleanPaste = Extension.create({
  name: "cleanPaste",
  addProseMirrorPlugins() {
    return [new pm.state.Plugin({ props: { transformPastedHTML: cleanPastedHTML } })];
  },
});

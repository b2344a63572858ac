// What a front end written for Ghost does with Ghost's own client, against Newsroom:
//   node journey.cjs <site address> <content key>
// prints one JSON object of what it read; tests/api/test_ghost_client.py checks it.
const GhostContentAPI = require("@tryghost/content-api");

async function main([url, key]) {
  const api = new GhostContentAPI({ url, key, version: "v5.0" });
  const firstPage = await api.posts.browse({ limit: 2, include: ["authors", "tags"] });
  const secondPage = await api.posts.browse({ limit: 2, page: firstPage.meta.pagination.next });
  const bySlug = await api.posts.read({ slug: firstPage[0].slug }, { formats: ["html", "plaintext"] });
  const byId = await api.posts.read({ id: firstPage[0].id });
  const tagged = await api.posts.browse({ filter: "tag:climate+featured:false", fields: "title,slug" });
  const either = await api.posts.browse({ filter: "tags:[climate,rivers],author:ana-lima", limit: "all" });
  const authors = await api.authors.browse({ include: "count.posts" });
  const tags = await api.tags.browse({ include: "count.posts", order: "slug desc" });
  const tag = await api.tags.read({ slug: "climate" });
  const settings = await api.settings.browse();
  const pages = await api.pages.browse();
  let refused = null;
  try {
    await api.posts.browse({ filter: "colour:red" });
  } catch (error) {
    refused = { name: error.name, message: error.message, context: error.context };
  }
  let missing = null;
  try {
    await api.posts.read({ slug: "no-such-story" });
  } catch (error) {
    missing = { name: error.name, status: error.response.status };
  }
  return {
    firstPage: { titles: firstPage.map((p) => p.title), meta: firstPage.meta },
    firstPost: firstPage[0],
    secondPage: secondPage.map((p) => p.title),
    bySlug: { title: bySlug.title, html: bySlug.html, plaintext: bySlug.plaintext },
    byId: byId.title,
    tagged: tagged.map((p) => p),
    either: either.map((p) => p.title),
    authors: authors.map((a) => [a.slug, a.count.posts]),
    tags: tags.map((t) => [t.slug, t.count.posts]),
    tag: tag.name,
    settings: { title: settings.title, navigation: settings.navigation },
    pages: pages.length,
    refused,
    missing,
  };
}

main(process.argv.slice(2)).then(
  (read) => console.log(JSON.stringify(read)),
  (error) => {
    console.error(error.stack || error);
    process.exit(1);
  },
);

// The ImageSearch page: everything it shows comes from the JSON API (/api/...), photos from /thumbs and /photos.
"use strict";
const pageSize = 24;
const $ = (id) => document.getElementById(id);
let query = null; // { title, run(k) -> Promise<rows>, photo?: path of the query photo, upload?: Blob }
let page = 0;

const enc = (path) => encodeURIComponent(path);

async function api(url, init) {
  const response = await fetch(url, init);
  const body = await response.json().catch(() => ({ message: `${response.status} ${response.statusText}` }));
  if (!response.ok) throw new Error(body.message || `${response.status}`);
  return body;
}

function showMessage(text) { $("message").textContent = text || ""; }

function classParam() {
  const c = $("class").value;
  return c ? `&class=${encodeURIComponent(c)}` : "";
}

async function status() {
  try {
    const s = await api("/api/status");
    $("building").hidden = s.ready;
    $("controls").hidden = !s.ready;
    if (!s.ready) {
      $("status").textContent = "no index yet";
      $("building-message").textContent = s.message || "";
      setTimeout(status, 3000);
      return;
    }
    $("status").textContent = `${s.photos} photos, ${s.model}${s.devise ? ", words on" : ", no DeViSE head: word search and tags off"}`;
    $("words").disabled = !s.devise;
    $("search-button").disabled = !s.devise;
    loadClasses();
  } catch (e) {
    $("status").textContent = "server unreachable";
    setTimeout(status, 3000);
  }
}

async function loadClasses() {
  try {
    const c = await api("/api/classes");
    const select = $("class");
    for (const name of c.classes) {
      const o = document.createElement("option");
      o.value = name; o.textContent = name;
      select.appendChild(o);
    }
    select.title = `classes from ${c.source}`;
  } catch (e) { showMessage(e.message); }
}

async function run(q, p) {
  query = q; page = p;
  showMessage("");
  $("title").textContent = q.title + ($("class").value && q.weighted ? ` — weighted by '${$("class").value}'` : "");
  $("query").replaceChildren();
  if (q.photo) $("query").appendChild(card({ path: q.photo, label: "query", distance: 0, rank: 0 }, true));
  $("grid").setAttribute("aria-busy", "true");
  try {
    // One more than the page so we know whether there is a next page.
    const rows = await q.run((page + 1) * pageSize + 1);
    const shown = rows.slice(page * pageSize, (page + 1) * pageSize);
    $("grid").replaceChildren(...shown.map((r) => card(r, false)));
    $("page").textContent = shown.length ? `${page * pageSize + 1}–${page * pageSize + shown.length}` : "no results";
    $("prev").disabled = page === 0;
    $("next").disabled = rows.length <= (page + 1) * pageSize;
  } catch (e) {
    $("grid").replaceChildren();
    showMessage(e.message);
  } finally {
    $("grid").removeAttribute("aria-busy");
  }
}

function card(r, isQuery) {
  const li = document.createElement(isQuery ? "div" : "li");
  li.className = "card";
  li.dataset.path = r.path;
  li.dataset.label = r.label;
  const a = document.createElement("a");
  a.href = `/photos/${enc(r.path)}`; a.target = "_blank";
  const img = document.createElement("img");
  img.src = `/thumbs/${enc(r.path)}`; img.alt = r.label;
  // The server refuses photos that are gone or are links out of the folder: say so instead of a broken image.
  img.onerror = () => { li.classList.add("unavailable"); img.alt = "photo not available"; };
  a.appendChild(img);
  const caption = document.createElement("div");
  caption.className = "caption";
  caption.textContent = isQuery ? `query: ${r.label}` : `#${r.rank} ${r.label} · ${r.distance.toFixed(4)}`;
  const actions = document.createElement("div");
  actions.className = "actions";
  const tags = document.createElement("ul");
  tags.className = "tags";
  if (!isQuery) {
    const more = document.createElement("button");
    more.type = "button"; more.className = "more"; more.textContent = "more like this";
    more.onclick = () => similar(r.path, r.label);
    actions.appendChild(more);
  }
  const tagButton = document.createElement("button");
  tagButton.type = "button"; tagButton.className = "tag-button"; tagButton.textContent = "tags";
  tagButton.onclick = () => showTags(r.path, tags);
  actions.appendChild(tagButton);
  li.append(a, caption, actions, tags);
  if (isQuery) showTags(r.path, tags);
  return li;
}

async function showTags(path, list) {
  try {
    const rows = await api(`/api/tags?path=${enc(path)}&k=8`);
    list.replaceChildren(...rows.map((t) => {
      const li = document.createElement("li");
      li.textContent = t.word; li.title = t.distance.toFixed(4);
      li.onclick = () => { $("words").value = t.word; searchWords(); };
      return li;
    }));
  } catch (e) {
    list.replaceChildren(Object.assign(document.createElement("li"), { textContent: e.message, className: "error" }));
  }
}

function searchWords() {
  const words = $("words").value.trim();
  if (!words) return;
  const combine = document.querySelector("input[name=combine]:checked").value;
  run({ title: `photos for '${words}' (${combine})`, run: (k) => api(`/api/search?q=${encodeURIComponent(words)}&k=${k}&combine=${combine}`) }, 0);
}

function similar(path, label) {
  run({ title: `more like this (${label})`, photo: path, weighted: true, run: (k) => api(`/api/similar?path=${enc(path)}&k=${k}${classParam()}`) }, 0);
}

function upload(file) {
  if (!file) return;
  run({ title: `look-alikes of ${file.name}`, weighted: true,
        run: (k) => api(`/api/similar?k=${k}${classParam()}`, { method: "POST", body: file, headers: { "Content-Type": file.type || "application/octet-stream" } }) }, 0);
}

$("words-form").addEventListener("submit", (e) => { e.preventDefault(); searchWords(); });
$("upload").addEventListener("change", (e) => upload(e.target.files[0]));
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); upload(e.dataTransfer.files[0]); });
$("class").addEventListener("change", () => { if (query && query.weighted) run(query, 0); });
$("prev").addEventListener("click", () => run(query, page - 1));
$("next").addEventListener("click", () => run(query, page + 1));
status();

// The permit editor: polygons on an SVG over the reference, in reference pixels. No build step.
// Its words are the page's, in the page's language (#editor-words): %(name)s is filled in here.
"use strict";
(function () {
  const root = document.getElementById("permit-editor");
  if (!root) return;
  const camera = root.dataset.camera;
  const width = Number(root.dataset.width), height = Number(root.dataset.height);
  const svg = document.getElementById("drawing");
  const shapeSelect = document.getElementById("shape");
  const textarea = document.getElementById("coordinates");
  const statusLine = document.getElementById("editor-status");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const room = document.getElementById("drawing-room");
  const image = root.querySelector(".frame img");
  const NS = "http://www.w3.org/2000/svg";
  const WORDS = JSON.parse(document.getElementById("editor-words").textContent);
  function words(key, values) {
    return WORDS[key].replace(/%\((\w+)\)[sd]/g, (_, name) => String(values[name]));
  }
  // Handles keep their size on the screen whatever the image's scale (a phone shows it at a third),
  // and a point is grabbed anywhere within GRAB_PX of it: a finger-sized target, also at the corners,
  // where the room around the picture leaves space for the whole handle.
  const HANDLE_PX = 11, GRAB_PX = 22;
  // shapes[0] is the permitted area; the others are privacy zones.
  let shapes = [{ name: null, points: [] }];
  let current = 0, selected = -1, dragging = -1;

  function say(text, isError) {
    statusLine.textContent = text;
    statusLine.className = isError ? "error" : "";
  }
  function round(v) { return Math.round(v * 10) / 10; }
  function screenPerPixel() { return svg.getBoundingClientRect().width / width; }
  function unclamped(event) {
    const point = svg.createSVGPoint();
    point.x = event.clientX; point.y = event.clientY;
    const p = point.matrixTransform(svg.getScreenCTM().inverse());
    return [p.x, p.y];
  }
  function toImage(event) {
    const [x, y] = unclamped(event);
    return [round(Math.min(Math.max(x, 0), width)), round(Math.min(Math.max(y, 0), height))];
  }
  function nearestPoint(event) {
    const [x, y] = unclamped(event), scale = screenPerPixel();
    let best = -1, bestDistance = GRAB_PX;
    shapes[current].points.forEach((p, j) => {
      const distance = Math.hypot(p[0] - x, p[1] - y) * scale;
      if (distance <= bestDistance) { best = j; bestDistance = distance; }
    });
    return best;
  }
  function label(shape) { return shape.name === null ? WORDS.permitted_area : words("zone", { zone: shape.name }); }

  function render() {
    shapeSelect.innerHTML = "";
    shapes.forEach((shape, i) => {
      const option = document.createElement("option");
      option.value = String(i); option.textContent = label(shape);
      option.selected = i === current;
      shapeSelect.appendChild(option);
    });
    svg.innerHTML = "";
    shapes.forEach((shape, i) => {
      const polygon = document.createElementNS(NS, shape.points.length > 2 ? "polygon" : "polyline");
      polygon.setAttribute("points", shape.points.map((p) => p.join(",")).join(" "));
      polygon.setAttribute("class", (shape.name === null ? "permitted" : "zone") + (i === current ? "" : " inactive"));
      svg.appendChild(polygon);
    });
    shapes[current].points.forEach((p, j) => {
      const c = document.createElementNS(NS, "circle");
      c.setAttribute("cx", p[0]); c.setAttribute("cy", p[1]);
      c.setAttribute("r", String(HANDLE_PX / screenPerPixel()));
      c.setAttribute("tabindex", "0");
      c.setAttribute("role", "button");
      c.setAttribute("aria-label", words("point", { number: j + 1, x: p[0], y: p[1] }));
      c.dataset.index = String(j);
      if (j === selected) c.setAttribute("class", "selected");
      svg.appendChild(c);
    });
    textarea.value = shapes[current].points.map((p) => p.join(",")).join(" ");
  }

  function focusSelected() {
    const c = svg.querySelector('circle[data-index="' + selected + '"]');
    if (c) c.focus();
  }

  room.addEventListener("pointerdown", (event) => {
    const index = nearestPoint(event);
    if (index >= 0) {
      selected = dragging = index;
      room.setPointerCapture(event.pointerId);
      render(); focusSelected();
    } else {
      shapes[current].points.push(toImage(event));
      selected = shapes[current].points.length - 1;
      render();
    }
    event.preventDefault();
  });
  room.addEventListener("pointermove", (event) => {
    if (dragging < 0) return;
    shapes[current].points[dragging] = toImage(event);
    render();
  });
  room.addEventListener("pointerup", () => { if (dragging >= 0) { dragging = -1; focusSelected(); } });
  window.addEventListener("resize", () => render());

  function deletePoint() {
    if (selected < 0 || selected >= shapes[current].points.length) { say(WORDS.select_first, true); return; }
    shapes[current].points.splice(selected, 1);
    selected = Math.min(selected, shapes[current].points.length - 1);
    render(); focusSelected();
  }
  svg.addEventListener("keydown", (event) => {
    const index = event.target.dataset ? event.target.dataset.index : undefined;
    if (index === undefined) return;
    selected = Number(index);
    const step = event.shiftKey ? 10 : 1;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (event.key === "Delete" || event.key === "Backspace") { deletePoint(); event.preventDefault(); }
    else if (moves[event.key]) {
      const p = shapes[current].points[selected];
      p[0] = round(Math.min(Math.max(p[0] + moves[event.key][0], 0), width));
      p[1] = round(Math.min(Math.max(p[1] + moves[event.key][1], 0), height));
      render(); focusSelected(); event.preventDefault();
    }
  });
  svg.addEventListener("focusin", (event) => {
    const index = event.target.dataset ? event.target.dataset.index : undefined;
    if (index !== undefined && Number(index) !== selected) {
      selected = Number(index);
      event.target.setAttribute("class", "selected");
    }
  });

  shapeSelect.addEventListener("change", () => { current = Number(shapeSelect.value); selected = -1; render(); });
  document.getElementById("clear-shape").addEventListener("click", () => {
    shapes[current].points = []; selected = -1; render(); say(WORDS.cleared);
  });
  document.getElementById("delete-point").addEventListener("click", deletePoint);
  document.getElementById("delete-zone").addEventListener("click", () => {
    if (current === 0) { say(WORDS.keep_permitted, true); return; }
    shapes.splice(current, 1); current = 0; selected = -1; render();
  });
  document.getElementById("add-zone").addEventListener("click", () => {
    const input = document.getElementById("zone-name");
    const name = input.value.trim();
    if (!name) { say(WORDS.name_zone, true); input.focus(); return; }
    if (shapes.some((s) => s.name === name)) { say(words("zone_exists", { zone: name }), true); return; }
    shapes.push({ name: name, points: [] }); current = shapes.length - 1; selected = -1; input.value = "";
    render(); say(words("zone_added", { zone: name }));
  });
  document.getElementById("apply-coordinates").addEventListener("click", () => {
    const pairs = textarea.value.trim().split(/[\s;]+/).filter(Boolean);
    const points = [];
    for (const pair of pairs) {
      const xy = pair.split(",").map(Number);
      if (xy.length !== 2 || !xy.every(Number.isFinite)) { say(words("not_a_point", { text: pair }), true); return; }
      points.push(xy);
    }
    shapes[current].points = points; selected = -1; render(); say(WORDS.applied[points.length === 1 ? 0 : 1].replace("%(num)d", String(points.length)));
  });

  function when(iso) {  // as the page's language writes times: 2026-11-29 02:15:07 UTC, 29 november 2026 02.15.07 UTC
    const moment = new Date(iso);
    if (isNaN(moment)) return String(iso);
    const clock = moment.toISOString().slice(11, 19).replaceAll(":", WORDS.time_separator);
    const day = WORDS.date_style === "iso" ? moment.toISOString().slice(0, 10)
      : new Intl.DateTimeFormat(WORDS.lang, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(moment);
    return day + " " + clock + " UTC";
  }

  async function loadVersions() {
    const list = document.getElementById("versions");
    const response = await fetch("/api/cameras/" + encodeURIComponent(camera) + "/permit/versions");
    if (!response.ok) return;
    list.innerHTML = "";
    for (const v of await response.json()) {
      const item = document.createElement("li");
      const version = words("version", { when: when(v.set_at), who: v.set_by, points: v.points, zones: v.zones.length });
      item.textContent = v.current ? words("current", { version: version }) : version;
      list.appendChild(item);
    }
  }

  document.getElementById("save").addEventListener("click", async () => {
    const body = { permitted_xy: shapes[0].points, privacy_zones: {} };
    shapes.slice(1).forEach((s) => { body.privacy_zones[s.name] = s.points; });
    say(WORDS.saving);
    const response = await fetch("/api/cameras/" + encodeURIComponent(camera) + "/permit", {
      method: "PUT", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body), credentials: "same-origin",
    });
    // A refusal's "message" is the page's language; "detail" the API's own words.
    let detail = "";
    try { const answer = await response.json(); detail = answer.message || answer.detail; } catch (e) { detail = response.statusText; }
    if (response.ok) {
      say(WORDS.saved); loadVersions();
      // The reference is served with the privacy zones filled: fetch it again to show the saved ones.
      image.src = image.src.split("?")[0] + "?saved=" + Date.now();
    }
    else { say(words("not_saved", { why: typeof detail === "string" ? detail : JSON.stringify(detail) }), true); }
  });

  fetch("/api/cameras/" + encodeURIComponent(camera) + "/permit").then(async (response) => {
    if (response.ok) {
      const permit = await response.json();
      shapes = [{ name: null, points: permit.permitted_xy }];
      for (const [name, points] of Object.entries(permit.privacy_zones || {})) shapes.push({ name: name, points: points });
    }
    render(); loadVersions();
  });
})();

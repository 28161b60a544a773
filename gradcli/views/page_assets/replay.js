// gradcli's backward-pass page. Every number comes written from gradcli (the page computes
// nothing); every text from the program is put in the page as text, never as markup.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("gradcli-data").textContent);
  const steps = data.steps;
  const svg = document.querySelector("#picture svg");
  // as wide as the page, but never under 60% of the picture's own size (1pt = 4/3 px): then it scrolls
  const natural = parseFloat(svg.getAttribute("width")) * 4 / 3;
  if (natural > 0) svg.style.minWidth = Math.round(0.6 * natural) + "px";

  // the picture's records and edges, by the names gradcli gave them ("n5", "n2->n5op")
  const records = new Map();
  for (const g of svg.querySelectorAll("g.node")) {
    const title = g.querySelector("title");
    if (title) records.set(title.textContent, g);
  }
  const edges = new Map();
  for (const g of svg.querySelectorAll("g.edge")) {
    const title = g.querySelector("title");
    if (!title) continue;
    const name = title.textContent.replace("\u2192", "->");
    if (!edges.has(name)) edges.set(name, []);
    edges.get(name).push(g);
  }
  // each drawn value's "grad ..." text in its record
  const gradText = new Map();
  for (const [id, node] of Object.entries(data.nodes)) {
    if (!records.has(node.picture)) continue;
    for (const t of records.get(node.picture).querySelectorAll("text")) {
      if (t.textContent.startsWith("grad ")) gradText.set(id, t);
    }
  }

  const slider = document.getElementById("slider");
  const where = document.getElementById("where");
  const stepLine = document.getElementById("step");
  const playButton = document.getElementById("play");
  slider.max = String(steps.length);
  let at = 0;
  let timer = null;

  function gradsAfter(n) {
    const grads = new Map([[String(data.output), data.one]]);
    for (let i = 0; i < n; i++) grads.set(String(steps[i].target), steps[i].total);
    return grads;
  }

  function show(n) {
    at = Math.max(0, Math.min(steps.length, n));
    slider.value = String(at);
    const done = at === steps.length;
    const grads = gradsAfter(at);
    gradText.forEach(function (text, id) {
      const known = done ? data.nodes[id].grad : grads.get(id);
      text.textContent = "grad " + (known === undefined ? "\u2026" : known);
      text.classList.toggle("pending", known === undefined);
      text.classList.toggle("filled", known !== undefined);
    });
    for (const g of svg.querySelectorAll(".lit")) g.classList.remove("lit");
    where.textContent = "step " + at + " of " + steps.length;
    if (at === 0) {
      stepLine.textContent = "Start: the output " + data.nodes[data.output].label + " has gradient " + data.one +
        "; press \u2192 to pass it back, edge by edge.";
      light(data.nodes[data.output].picture);
      return;
    }
    const s = steps[at - 1];
    for (const name of s.edges) (edges.get(name) || []).forEach(function (g) { g.classList.add("lit"); });
    light(s.source);
    light(data.nodes[s.target].picture);
    stepLine.textContent = s.formula + "    upstream \u00d7 local = " + s.product + "    grad " +
      s.label + " now " + s.total + (done ? "    (done: every value has its gradient)" : "");
  }

  function light(name) {
    if (name && records.has(name)) records.get(name).classList.add("lit");
  }

  function play() {
    if (timer !== null) { stop(); return; }
    if (at === steps.length) show(0);
    playButton.textContent = "pause";
    timer = setInterval(function () { if (at >= steps.length) stop(); else show(at + 1); }, 700);
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    playButton.textContent = "play";
  }

  document.getElementById("first").addEventListener("click", function () { stop(); show(0); });
  document.getElementById("back").addEventListener("click", function () { stop(); show(at - 1); });
  document.getElementById("next").addEventListener("click", function () { stop(); show(at + 1); });
  document.getElementById("last").addEventListener("click", function () { stop(); show(steps.length); });
  playButton.addEventListener("click", play);
  slider.addEventListener("input", function () { stop(); show(Number(slider.value)); });
  document.addEventListener("keydown", function (e) {
    if (e.target instanceof HTMLInputElement && e.key !== " ") return; // the slider has its own keys
    const keys = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: steps.length };
    if (e.key in keys) { stop(); show(keys[e.key]); e.preventDefault(); }
    else if (e.key === " ") { play(); e.preventDefault(); }
  });

  // ----- one value: its facts, and the statement it comes from ------------------------------
  const program = document.getElementById("program");
  const panel = document.getElementById("value");

  function showProgram(statement, span) {
    program.replaceChildren();
    const src = data.source;
    if (!statement || !span) { program.textContent = src; return; }
    const outer = document.createElement("mark");
    outer.className = "statement";
    const inner = document.createElement("mark");
    inner.className = "expression";
    inner.textContent = src.slice(span[0], span[1]);
    outer.append(src.slice(statement[0], span[0]), inner, src.slice(span[1], statement[1]));
    program.append(src.slice(0, statement[0]), outer, src.slice(statement[1]));
  }

  function row(table, name, value, cls) {
    const tr = table.insertRow();
    const th = document.createElement("th");
    th.textContent = name;
    const td = tr.insertCell();
    td.textContent = value;
    if (cls) td.className = cls;
    tr.prepend(th);
  }

  function select(id) {
    const node = data.nodes[id];
    for (const g of svg.querySelectorAll("g.node.selected")) g.classList.remove("selected");
    if (node.picture && records.has(node.picture)) records.get(node.picture).classList.add("selected");
    const table = document.createElement("table");
    row(table, "value", node.label);
    row(table, "op", node.op);
    row(table, "data", node.data);
    row(table, "grad", node.grad);
    node.edges.forEach(function (e) { row(table, "edge in", e.text + "  (" + e.local + ")", "formula"); });
    panel.replaceChildren(table);
    showProgram(node.statement, node.span);
  }

  const byPicture = new Map();
  for (const [id, node] of Object.entries(data.nodes)) byPicture.set(node.picture, id);
  records.forEach(function (g, name) {
    if (!byPicture.has(name)) return; // an op node
    const id = byPicture.get(name);
    g.addEventListener("click", function () { select(id); });
    g.addEventListener("mouseenter", function () { select(id); });
  });

  showProgram(null, null);
  show(0);
})();

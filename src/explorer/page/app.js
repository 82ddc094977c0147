// The Chorus explorer page: reads /explorer/api/* (chain events) and /ipfs/<cid> (transcripts).
const $ = (id) => document.getElementById(id);
const short = (a) => (a ? `${a.slice(0, 8)}…${a.slice(-6)}` : "");
const rep = (v) => (v / 1_000_000).toFixed(3);
const when = (t) => (t ? new Date(t * 1000).toLocaleTimeString() : "");
const chr = (wei) => (Number(BigInt(wei) / 10n ** 15n) / 1000).toLocaleString();
const get = async (path) => {
  const res = await fetch(path);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${(await res.json().catch(() => ({}))).error?.message ?? ""}`);
  return res.json();
};
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) k === "class" ? (e.className = v) : k.startsWith("on") ? (e[k] = v) : e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return e;
};
const palette = ["#58a6ff", "#3fb950", "#d29922", "#f778ba", "#a371f7", "#ff7b72", "#79c0ff", "#56d364"];
const charts = {};

function lineChart(id, datasets, yLabel) {
  const ctx = $(id);
  if (charts[id]) {
    charts[id].data.datasets = datasets;
    charts[id].update("none");
    return;
  }
  charts[id] = new Chart(ctx, {
    type: "line",
    data: { datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      parsing: false,
      scales: {
        x: { type: "linear", ticks: { color: "#8b98a5", callback: (v) => new Date(v * 1000).toLocaleTimeString() }, grid: { color: "#26303b" } },
        y: { min: 0, max: 1, title: { display: true, text: yLabel, color: "#8b98a5" }, ticks: { color: "#8b98a5" }, grid: { color: "#26303b" } },
      },
      plugins: { legend: { labels: { color: "#e6edf3", boxWidth: 12 } } },
      elements: { line: { stepped: true } },
    },
  });
}

async function loadOverview() {
  const o = await get("/explorer/api/overview");
  $("overview").textContent = `chain ${o.chainId} · ${o.rounds} settled rounds in ${o.epochs} epochs · NodeRegistry ${o.contracts.NodeRegistry ?? "?"}`;
}

async function loadNodes() {
  const [{ nodes }, { series }] = await Promise.all([get("/explorer/api/nodes"), get("/explorer/api/reputation")]);
  $("nodes-body").replaceChildren(
    ...(nodes.length ? nodes : [null]).map((n) =>
      n
        ? el("tr", { "data-node": n.address },
            el("td", { class: "mono" }, n.address),
            el("td", {}, chr(n.staked)),
            el("td", {}, el("span", { class: `pill ${n.capable === false ? "bad" : "ok"}` }, n.capable === null ? "n/a" : n.capable ? "passed" : "no valid pass")),
            el("td", {}, rep(n.reputation)),
            el("td", { class: n.pendingDelta ? "" : "muted" }, n.pendingDelta ? `${n.pendingDelta > 0 ? "+" : ""}${(n.pendingDelta / 1_000_000).toFixed(4)}` : "–"),
            el("td", {}, n.rounds),
            el("td", {}, n.wins),
            el("td", { class: "mono" }, n.endpoint))
        : el("tr", {}, el("td", { colspan: 8, class: "muted" }, "no active nodes")),
    ),
  );
  const now = Date.now() / 1000;
  lineChart(
    "rep-chart",
    Object.entries(series).map(([node, points], i) => ({
      label: short(node),
      data: [...points.map((p) => ({ x: p.t, y: p.value / 1_000_000 })), { x: now, y: points[points.length - 1].value / 1_000_000 }],
      borderColor: palette[i % palette.length],
      pointRadius: 2,
    })),
    "reputation",
  );
}

async function loadRounds() {
  const { rounds } = await get("/explorer/api/rounds");
  $("rounds-body").replaceChildren(
    ...(rounds.length ? rounds : [null]).map((r) =>
      r
        ? el("tr", { class: "clickable", "data-round": r.roundId, onclick: () => (location.hash = `#round/${r.roundId}`) },
            el("td", { class: "mono" }, short(r.roundId)),
            el("td", {}, el("span", { class: `pill ${r.status === "final" ? "ok" : r.status === "voided" ? "bad" : "wait"}` }, r.status)),
            el("td", {}, r.epoch ?? "–"),
            el("td", { class: "mono" }, short(r.winner)),
            el("td", {}, when(r.timestamp)),
            el("td", {}, el("a", { href: `/ipfs/${r.transcriptCid}?format=raw`, class: "mono", onclick: (e) => e.stopPropagation() }, short(r.transcriptCid))))
        : el("tr", {}, el("td", { colspan: 6, class: "muted" }, "no rounds yet: ask the swarm (npx chorus ask \"…\")")),
    ),
  );
}

async function loadEpochs() {
  const { epochs } = await get("/explorer/api/epochs");
  $("epochs-body").replaceChildren(
    ...(epochs.length ? epochs : [null]).map((e) =>
      e
        ? el("tr", {}, el("td", {}, e.epoch), el("td", {}, el("span", { class: `pill ${e.status === "final" ? "ok" : "wait"}` }, e.status + (e.voidedRounds ? ` (${e.voidedRounds} voided)` : ""))), el("td", {}, e.rounds), el("td", { class: "mono" }, short(e.settler)), el("td", {}, when(e.timestamp)), el("td", { class: "mono" }, short(e.txHash)))
        : el("tr", {}, el("td", { colspan: 6, class: "muted" }, "no epoch settled yet")),
    ),
  );
}

async function loadSources() {
  const { sources } = await get("/explorer/api/sources");
  $("sources-body").replaceChildren(
    ...(sources.length ? sources : [null]).map((s) =>
      s
        ? el("tr", {}, el("td", { class: "mono" }, s.address), el("td", {}, rep(s.reliability.at(-1).value)), el("td", {}, rep(s.usefulness.at(-1).value)), el("td", { class: "mono" }, s.endpoint), el("td", {}, el("a", { href: `/ipfs/${s.manifestCid}?format=raw`, class: "mono" }, short(s.manifestCid))))
        : el("tr", {}, el("td", { colspan: 5, class: "muted" }, "no data sources registered")),
    ),
  );
  lineChart("src-chart", sources.map((s, i) => ({ label: short(s.address), data: s.reliability.map((p) => ({ x: p.t, y: p.value / 1_000_000 })), borderColor: palette[i % palette.length], pointRadius: 2 })), "reliability");
}

async function showRound(id) {
  $("round-view").hidden = false;
  $("rv-id").textContent = id;
  $("rv-audit").className = "audit pending";
  $("rv-audit").textContent = "auditing…";
  const round = await get(`/explorer/api/rounds/${id}`);
  const transcript = await get(`/ipfs/${round.transcriptCid}?format=raw`);
  const deltas = Object.fromEntries((round.deltas ?? []).map((d) => [d.node.toLowerCase(), d.delta]));
  const answers = Object.fromEntries(transcript.reveals.map((r) => [r.from.toLowerCase(), r.body.answer]));
  $("rv-meta").replaceChildren(
    el("dt", {}, "status"), el("dd", {}, round.status + (round.epoch ? ` in epoch ${round.epoch}` : "")),
    el("dt", {}, "coordinator"), el("dd", { class: "mono" }, transcript.coordinator),
    el("dt", {}, "committee"), el("dd", {}, `${transcript.committee.members.length} drawn from ${transcript.committee.candidates.length} (seed block ${transcript.committee.seedBlock.number})`),
    el("dt", {}, "transcript"), el("dd", {}, el("a", { href: `/ipfs/${round.transcriptCid}?format=raw`, class: "mono" }, round.transcriptCid)),
  );
  $("rv-question").textContent = transcript.query.messages.filter((m) => m.role === "user").at(-1)?.content ?? "";
  $("rv-answers").replaceChildren(
    ...transcript.result.ranking.map((node, i) =>
      el("tr", {}, el("td", {}, i + 1), el("td", { class: "mono" }, short(node)), el("td", {}, (Number(transcript.result.scores[node]) / 1e6).toFixed(4)), el("td", {}, deltas[node.toLowerCase()] ?? transcript.result.deltas[node] ?? ""), el("td", { class: "answer" }, answers[node.toLowerCase()] ?? "")),
    ),
  );
  // A RAG round: which sources and contexts each member used (its reveal's evidence).
  $("rv-rag-box").hidden = !transcript.query.rag;
  if (transcript.query.rag) {
    $("rv-rag").replaceChildren(
      ...transcript.reveals.map((r) => {
        const rag = r.body.rag ?? { retrieval: "none" };
        const used = (rag.used ?? []).map((u) => `${u.id} (${short(u.source)})`).join(", ");
        return el("tr", {}, el("td", { class: "mono" }, short(r.from)), el("td", {}, rag.retrieval + (rag.reason ? `: ${rag.reason}` : "")), el("td", {}, used || "none"));
      }),
    );
  }
  $("rv-excluded").replaceChildren(...(transcript.excluded.length ? transcript.excluded.map((e) => el("li", {}, `${short(e.member)} at ${e.phase}: ${e.reason}`)) : [el("li", { class: "muted" }, "none")]));
  try {
    const audit = await get(`/explorer/api/rounds/${id}/audit`);
    $("rv-audit").className = `audit ${audit.ok ? "ok" : "bad"}`;
    $("rv-audit").textContent = audit.ok ? `✔ verified: ${audit.checks.length} checks passed (committee, commitments, signatures, Bradley–Terry result, deltas)` : `✘ ${audit.mismatches.length} mismatch(es): ${audit.mismatches.map((m) => m.what).join("; ")}`;
  } catch (err) {
    $("rv-audit").className = "audit";
    $("rv-audit").textContent = `not audited: ${err.message}`;
  }
}

async function route() {
  const m = /^#round\/(0x[0-9a-fA-F]{64})$/.exec(location.hash);
  if (m) await showRound(m[1]).catch((err) => ($("rv-audit").textContent = err.message));
  else $("round-view").hidden = true;
}

async function refresh() {
  await Promise.all([loadOverview(), loadNodes(), loadRounds(), loadEpochs(), loadSources()].map((p) => p.catch((err) => console.error(err))));
}
window.addEventListener("hashchange", route);
refresh().then(route);
setInterval(refresh, 3000);

// nslab serve: makes a lesson page live. Added to every page by `nslab serve`
// (never by a plain `mdbook build`). Each step block gets Run / Skip / Hint,
// exercises get Start / Check / Solution; results stream in over
// Server-Sent Events, in the words and table `nslab run` prints.
//
// The page holds one lab session, opened on load and closed when the page
// goes away. The token travels in an HttpOnly cookie; requests name a lesson
// and a step, never a command.
(function () {
  "use strict";

  const KINDS_FALLBACK = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];
  const meta = document.querySelector(".nslab-lesson-meta code");
  const steps = Array.from(document.querySelectorAll(".nslab-step[data-step]"));
  if (!meta || steps.length === 0) return;
  const lesson = meta.textContent.replace(/^nslab run\s+/, "").trim();

  const live = (window.nslabLive = { lesson, session: null, timings: {}, ready: false });
  let source = null;

  // ---- small DOM helpers ----------------------------------------------------
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function line(parent, cls, text) {
    parent.appendChild(el("div", cls, text));
  }

  // ---- the status bar ---------------------------------------------------------
  const bar = el("div", "nslab-live-bar");
  const state = el("span", "nslab-live-state", "connecting…");
  const reset = el("button", "nslab-live-reset", "Reset lab");
  reset.title = "Tear this page's lab down and start a fresh one";
  bar.append(el("span", "nslab-live-dot"), el("b", null, "nslab live "), state, reset);
  document.body.appendChild(bar);
  document.body.classList.add("nslab-live");
  function status(text, cls) {
    state.textContent = text;
    bar.dataset.state = cls || "";
  }

  // ---- per-step controls --------------------------------------------------------
  const byId = {};
  for (const block of steps) {
    const id = block.dataset.step;
    const exercise = block.classList.contains("nslab-exercise");
    const hints = Array.from(block.querySelectorAll(":scope > details.nslab-hint"));
    const solution = block.querySelector(":scope > details.nslab-solution");
    const controls = el("div", "nslab-live-controls");
    const result = el("div", "nslab-live-result");
    const info = el("div", "nslab-live-info");
    const buttons = {};
    const add = (name, label, title, onclick) => {
      const b = el("button", "nslab-live-" + name, label);
      b.type = "button";
      b.title = title;
      b.addEventListener("click", onclick);
      controls.appendChild(b);
      buttons[name] = b;
    };
    if (exercise) {
      add("run", "Start", "Set the scene, and get a command that opens a shell in this lab", (ev) => act("run", id, ev));
      add("check", "Check", "Verify what you did, now", (ev) => act("check", id, ev));
    } else {
      add("run", "Run", "Run this step in your lab (earlier steps run first)", (ev) => act("run", id, ev));
    }
    add("skip", "Skip", "Skip this step", (ev) => act("skip", id, ev));
    let shown = 0;
    if (hints.length) {
      add("hint", "Hint", "Show the next hint", () => {
        if (shown < hints.length) {
          hints[shown].classList.add("nslab-shown");
          hints[shown].open = true;
          shown++;
        }
        if (shown >= hints.length) buttons.hint.disabled = true;
      });
    }
    if (solution) {
      add("solution", "Solution", "Show the reference solution", () => {
        solution.classList.add("nslab-shown");
        solution.open = true;
      });
    }
    block.append(controls, info, result);
    byId[id] = { block, buttons, result, info, exercise };
  }

  function busy(id, yes) {
    const s = byId[id];
    if (!s) return;
    s.block.classList.toggle("nslab-running", yes);
    for (const b of Object.values(s.buttons)) if (b !== s.buttons.hint && b !== s.buttons.solution) b.disabled = yes;
  }

  function showError(id, message) {
    const s = byId[id];
    if (!s) return;
    s.result.replaceChildren();
    line(s.result, "nslab-live-error", "✘ " + message);
  }

  // ---- talking to the server ------------------------------------------------------
  async function post(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: body === undefined ? "{}" : JSON.stringify(body),
      credentials: "same-origin",
    });
  }

  async function openSession() {
    status("starting a lab…", "busy");
    const res = await post("/api/sessions", { lesson });
    const answer = await res.json().catch(() => ({}));
    if (!res.ok) {
      status(answer.error || "cannot open a lab (" + res.status + ")", "error");
      return false;
    }
    live.session = answer.session;
    source = new EventSource("/api/sessions/" + live.session + "/events");
    const on = (name, fn) => source.addEventListener(name, (e) => fn(JSON.parse(e.data)));
    const ready = () => {
      live.ready = true;
      status("your lab is ready", "ok");
    };
    on("hello", (d) => d.ready && ready());
    on("ready", ready);
    on("report", report);
    on("view", view);
    on("exercise", exerciseOpen);
    on("reset", () => {
      for (const s of Object.values(byId)) {
        s.result.replaceChildren();
        s.info.replaceChildren();
        s.block.classList.remove("nslab-passed", "nslab-failed", "nslab-skipped");
      }
      status("a fresh lab", "ok");
    });
    on("ended", (d) => ended(d.why));
    source.onerror = () => {
      if (source && source.readyState === EventSource.CLOSED) ended("the connection was lost");
    };
    return true;
  }

  function ended(why) {
    if (source) source.close();
    source = null;
    live.session = null;
    live.ready = false;
    status("this lab has ended (" + why + "): the next Run starts a new one", "error");
  }

  async function act(op, id, ev) {
    live.timings[id] = { clicked: ev ? ev.timeStamp : performance.now() };
    if (!live.session && !(await openSession())) return;
    busy(id, true);
    try {
      const res = await post("/api/sessions/" + live.session + "/" + op, { lesson, step: id });
      if (!res.ok) {
        const answer = await res.json().catch(() => ({}));
        showError(id, answer.error || "the server said " + res.status);
        if (res.status === 404 || res.status === 410) ended("it is gone");
      } else {
        // The events came over the stream too; the answer is the fallback.
        const text = await res.text();
        if (!source) for (const l of text.split("\n")) if (l) report(JSON.parse(l));
      }
    } catch (e) {
      showError(id, "cannot reach nslab serve: " + e);
    } finally {
      busy(id, false);
    }
  }

  reset.addEventListener("click", async () => {
    if (!live.session) return openSession();
    status("resetting…", "busy");
    const res = await post("/api/sessions/" + live.session + "/reset");
    if (!res.ok) ended("reset failed");
  });

  window.addEventListener("pagehide", () => {
    if (live.session) navigator.sendBeacon("/api/sessions/" + live.session + "/close");
  });

  // ---- rendering, in the words of `nslab run` -------------------------------------------
  function report(e) {
    const s = byId[e.step];
    if (!s) return;
    if (e.event === "step_started") {
      s.result.replaceChildren(el("div", "nslab-live-running", "▶ running…"));
      s.block.classList.remove("nslab-passed", "nslab-failed", "nslab-skipped");
      return;
    }
    if (!/^step_(passed|failed|skipped)$/.test(e.event)) return;
    const r = s.result;
    r.replaceChildren();
    s.block.classList.add("nslab-" + e.outcome);
    if (e.outcome === "skipped") {
      line(r, "nslab-live-skipped", "↷ skipped: " + e.reason);
      shown(e.step);
      return;
    }
    const head = el("div", "nslab-live-outcome " + e.outcome, e.outcome === "passed" ? "✔ passed" : "✘ failed");
    head.appendChild(el("span", "nslab-live-ms", " " + e.duration_ms + " ms"));
    r.appendChild(head);
    r.appendChild(el("div", "nslab-live-display"));
    if (e.command) {
      const out = el("div", "nslab-live-output");
      const shownLines = (text, max) => {
        const lines = text.split("\n");
        if (lines.length && lines[lines.length - 1] === "") lines.pop();
        for (const l of lines.slice(0, max)) line(out, null, "│ " + l);
        if (lines.length > max) line(out, null, "│ … " + (lines.length - max) + " more lines");
      };
      shownLines(e.command.stdout || "", 40);
      shownLines(e.command.stderr || "", 20);
      if (e.command.dropped_bytes > 0) line(out, null, "│ … and " + e.command.dropped_bytes + " more bytes, not kept");
      if (out.childNodes.length) r.appendChild(out);
      if (e.command.timed_out) line(r, "nslab-live-bad", "⏱ the command timed out after " + (e.command.elapsed_ms / 1000).toFixed(1) + " s and was killed");
    }
    if (e.error) line(r, "nslab-live-bad", "✘ the action failed: " + e.error);
    const verdicts = el("ul", "nslab-live-verdicts");
    for (const v of e.verdicts || []) {
      const li = el("li", v.holds ? "holds" : "fails", (v.holds ? "✔ " : "✘ ") + v.expected);
      if (!v.holds) {
        const [first, ...rest] = (v.observed || "").split("\n");
        li.appendChild(el("div", "nslab-live-observed", "observed: " + first + (rest.length ? "\n" + rest.slice(0, 20).join("\n") : "")));
      }
      verdicts.appendChild(li);
    }
    r.appendChild(verdicts);
    r.appendChild(el("div", "nslab-live-table-slot"));
    r.dataset.outcome = e.outcome;
  }

  function view(v) {
    const s = byId[v.step];
    if (!s) return;
    const r = s.result;
    const display = r.querySelector(".nslab-live-display");
    if (display && v.display) display.appendChild(el("pre", null, v.display));
    const slot = r.querySelector(".nslab-live-table-slot");
    if (slot && v.table && v.table.length) {
      const kinds = v.kinds && v.kinds.length ? v.kinds : KINDS_FALLBACK;
      const table = el("table", "nslab-live-table");
      const head = el("tr");
      head.appendChild(el("th"));
      for (const k of kinds) head.appendChild(el("th", null, k));
      table.appendChild(head);
      for (const row of v.table) {
        const tr = el("tr");
        tr.appendChild(el("th", null, row.name));
        for (const c of row.cells) {
          const td = el("td", c.changed ? "changed" : null, c.changed ? c.text + "*" : c.text);
          if (c.changed) td.title = "changed during this step";
          tr.appendChild(td);
        }
        table.appendChild(tr);
      }
      slot.appendChild(table);
    }
    if (r.dataset.outcome === "failed" && v.hints && v.hints.length) line(r, "nslab-live-hint", "hint: " + v.hints[0]);
    shown(v.step);
  }

  function shown(id) {
    const t = live.timings[id];
    if (t && t.shown === undefined) t.shown = performance.now();
  }

  function exerciseOpen(x) {
    const s = byId[x.step];
    if (!s) return;
    s.info.replaceChildren();
    s.info.appendChild(el("p", null, "Your lab is ready for this exercise. In a terminal, as the user that runs nslab serve, open a shell inside it:"));
    const pre = el("pre", "nslab-live-attach");
    pre.appendChild(el("code", null, x.attach));
    s.info.appendChild(pre);
    s.info.appendChild(el("p", null, "Work there, then type check in that shell (its answer shows here too), or press Check. Moving on to another step closes what you started there."));
    shown(x.step);
  }

  openSession();
})();

// nslab serve: makes a lesson page live. Added to every page by `nslab serve`
// (never by a plain `mdbook build`). Each step block gets Run / Skip / Hint,
// exercises get Start / Check / Solution; results come back in the answer to
// the click and over Server-Sent Events, in the words and table `nslab run`
// prints, with a picture of the namespaces.
//
// What the page shows is the server's state, never the page's guess: every
// line the server sends is numbered; a (re)connected event stream starts with
// every step's latest lines ("hello"), and lines older than what the page
// has are ignored. A click is answered by its own request too, so a slow or
// lost stream cannot swallow a result. The token travels in an HttpOnly
// cookie; requests name a lesson and a step, never a command.
(function () {
  "use strict";

  // The page's words in its book's language (the Chinese book says lang="zh").
  const WORDS_ZH = {
      "connecting…": "连接中…",
      "Reset lab": "重置实验环境",
      "Tear this page's lab down and start a fresh one": "拆掉这一页的实验环境，重新开一个",
      "nslab live ": "nslab 实时 ",
      "Start": "开始",
      "Set the scene, and get a command that opens a shell in this lab": "做好准备，并给出在这个实验环境里打开 shell 的命令",
      "Check": "检查",
      "Verify what you did, now": "现在核对你做的事",
      "Run": "运行",
      "Run this step in your lab (earlier steps run first)": "在你的实验环境里运行这一步（之前的步骤先运行）",
      "Skip": "跳过",
      "Skip this step": "跳过这一步",
      "Hint": "提示",
      "Show the next hint": "显示下一条提示",
      "Solution": "参考答案",
      "Show the reference solution": "显示参考答案",
      "nslab serve has stopped": "nslab serve 已停止",
      "this step is running": "这一步正在运行",
      "every hint is shown": "提示已全部显示",
      "Disabled: ": "不可用：",
      "Disabled: nslab serve has stopped": "不可用：nslab serve 已停止",
      "starting a lab…": "正在启动实验环境…",
      "reconnecting…": "重新连接中…",
      "a fresh lab": "全新的实验环境",
      "the server no longer knows it": "服务器已经不认识它了",
      "your lab is ready": "你的实验环境准备好了",
      "No lab could be started: ": "无法启动实验环境：",
      "see the status below.": "见下面的状态。",
      "nslab serve has stopped.": "nslab serve 已停止。",
      "it is gone": "它已经不在了",
      "resetting…": "重置中…",
      "reset failed: ": "重置失败：",
      "↷ skipped: ": "↷ 已跳过：",
      "✔ passed": "✔ 通过",
      "✘ failed": "✘ 失败",
      "✘ the action failed: ": "✘ 动作失败：",
      "observed: ": "实际看到：",
      "▶ running…": "▶ 运行中…",
      "What the kernel shows now:": "内核现在显示的：",
      "the same as a table": "同样的内容，表格形式",
      "changed during this step": "这一步里改变了",
      "Your lab is ready for this exercise. In a terminal, as the user that runs nslab serve, open a shell inside it:": "这个练习的实验环境准备好了。在终端里，以运行 nslab serve 的用户身份，在里面打开一个 shell：",
      "Work there, then type `check` in that shell (its answer shows here too), or press Check. Moving on to another step closes what you started there.": "在那里动手，然后在那个 shell 里输入 `check`（结果也会显示在这里），或者按“检查”。转到别的步骤会关闭你在那里启动的东西。"
  };
  const zh = document.documentElement.lang === "zh";
  const T = (text) => (zh && WORDS_ZH[text]) || text;
  const KINDS_FALLBACK = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];
  // The last code of the line is `nslab run ID` (a `needs:` may come before it).
  const meta = document.querySelector(".nslab-lesson-meta code:last-of-type");
  const steps = Array.from(document.querySelectorAll(".nslab-step[data-step]"));
  const live = (window.nslabLive = { lesson: null, session: null, timings: {}, ready: false, server: "up" });
  if (!meta || steps.length === 0) return;
  const lesson = meta.textContent.replace(/^nslab run\s+/, "").trim();
  live.lesson = lesson;

  let source = null;
  let connected = null; // a promise that the stream's hello has come
  let seq = 0; // the number of the newest line the page has taken in
  let restart = "nslab serve";
  let refusal = ""; // why the last attempt to open a lab was refused
  const model = {}; // step id -> { report, view, exercise, quiet }
  const running = {}; // step id -> true while a click on it waits for its answer

  // ---- small DOM helpers ----------------------------------------------------
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function line(parent, cls, text) {
    const d = el("div", cls);
    inline(d, text);
    parent.appendChild(d);
    return d;
  }
  // Inline Markdown as the lessons write it: `code`, **strong**, *em*.
  // Built from text nodes, so nothing in the text is taken as HTML.
  function inline(parent, text) {
    const re = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*/g;
    let last = 0;
    let m;
    text = String(text);
    while ((m = re.exec(text))) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      if (m[1] !== undefined) parent.appendChild(el("code", null, m[1]));
      else if (m[2] !== undefined) parent.appendChild(el("strong", null, m[2]));
      else parent.appendChild(el("em", null, m[3]));
      last = re.lastIndex;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
    return parent;
  }

  // ---- the status bar ---------------------------------------------------------
  const bar = el("div", "nslab-live-bar");
  const state = el("span", "nslab-live-state", T("connecting…"));
  const reset = el("button", "nslab-live-reset", T("Reset lab"));
  reset.type = "button";
  reset.dataset.title = T("Tear this page's lab down and start a fresh one");
  reset.title = reset.dataset.title;
  bar.append(el("span", "nslab-live-dot"), el("b", null, T("nslab live ")), state, reset);
  document.body.appendChild(bar);
  document.body.classList.add("nslab-live");
  function status(text, cls) {
    state.replaceChildren();
    inline(state, text);
    bar.dataset.state = cls || "";
  }

  // ---- per-step controls --------------------------------------------------------
  const byId = {};
  for (const block of steps) {
    const id = block.dataset.step;
    const exercise = block.classList.contains("nslab-exercise");
    const hints = Array.from(block.querySelectorAll(":scope > details.nslab-hint"));
    const solution = block.querySelector(":scope > details.nslab-solution");
    const expects = Array.from(block.querySelectorAll(":scope > ul.nslab-expect > li"));
    const controls = el("div", "nslab-live-controls");
    const why = el("span", "nslab-live-why");
    const result = el("div", "nslab-live-result");
    const info = el("div", "nslab-live-info");
    const buttons = {};
    const add = (name, label, title, onclick) => {
      const b = el("button", "nslab-live-" + name, label);
      b.type = "button";
      b.title = title;
      b.dataset.title = title;
      b.addEventListener("click", onclick);
      controls.appendChild(b);
      buttons[name] = b;
    };
    if (exercise) {
      add("run", T("Start"), T("Set the scene, and get a command that opens a shell in this lab"), (ev) => act("run", id, ev));
      add("check", T("Check"), T("Verify what you did, now"), (ev) => act("check", id, ev));
    } else {
      add("run", T("Run"), T("Run this step in your lab (earlier steps run first)"), (ev) => act("run", id, ev));
    }
    add("skip", T("Skip"), T("Skip this step"), (ev) => act("skip", id, ev));
    const s = { id, block, buttons, result, info, why, exercise, expects, hints, shown: 0 };
    if (hints.length) {
      add("hint", T("Hint"), T("Show the next hint"), () => {
        if (s.shown < hints.length) {
          hints[s.shown].classList.add("nslab-shown");
          hints[s.shown].open = true;
          s.shown++;
        }
        update();
      });
    }
    if (solution) {
      add("solution", T("Solution"), T("Show the reference solution"), () => {
        solution.classList.add("nslab-shown");
        solution.open = true;
      });
    }
    controls.appendChild(why);
    block.append(controls, info, result);
    byId[id] = s;
  }

  // Every disabled button says why, in its tooltip and beside the buttons.
  function update() {
    const down = live.server !== "up";
    for (const s of Object.values(byId)) {
      let reason = "";
      if (down) reason = T("nslab serve has stopped");
      else if (running[s.id]) reason = T("this step is running");
      for (const [name, b] of Object.entries(s.buttons)) {
        let r = name === "solution" ? "" : reason;
        if (name === "hint" && !r && s.shown >= s.hints.length) r = T("every hint is shown");
        if (name === "hint" && down) r = "";
        b.disabled = !!r;
        b.title = r ? T("Disabled: ") + r : b.dataset.title;
      }
      s.why.textContent = reason;
      s.block.classList.toggle("nslab-running", !!running[s.id]);
    }
    reset.disabled = down;
    reset.title = down ? T("Disabled: nslab serve has stopped") : reset.dataset.title;
  }

  // ---- the model: the server's lines, by step ---------------------------------------
  function entry(id) {
    return (model[id] = model[id] || { report: null, view: null, exercise: null, quiet: false });
  }

  // Takes in one line (a runner event, or a worker's view / quiet / exercise line).
  function take(l) {
    if (l.event) {
      if (!/^step_/.test(l.event) || !byId[l.step]) return null;
      const m = entry(l.step);
      m.report = l;
      m.quiet = false;
      if (l.event === "step_started") m.view = null;
      return l.step;
    }
    if (l.worker === "view" && byId[l.step]) {
      entry(l.step).view = l;
      return l.step;
    }
    if (l.worker === "quiet" && byId[l.step]) {
      model[l.step] = { report: null, view: null, exercise: null, quiet: true };
      return l.step;
    }
    if (l.worker === "exercise" && byId[l.step]) {
      for (const [id, m] of Object.entries(model)) {
        if (m.exercise) {
          m.exercise = null;
          render(id);
        }
      }
      entry(l.step).exercise = l;
      return l.step;
    }
    return null;
  }

  // A line from the stream, numbered: older than what the page has, it is ignored.
  function streamed(n, l) {
    if (n && n <= seq) return;
    if (n) seq = n;
    const id = take(l);
    if (id) render(id);
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

  // An error answer in words: the server's sentence, never its JSON.
  async function sentence(res) {
    const text = await res.text().catch(() => "");
    try {
      const e = JSON.parse(text).error;
      if (e) return e.charAt(0).toUpperCase() + e.slice(1) + (/[.!?]$/.test(e) ? "" : ".");
    } catch (_) {
      /* not JSON */
    }
    return (zh ? "nslab serve 的回答：" : "nslab serve answered ") + res.status + " " + res.statusText + ".";
  }

  // Is the server still there? Asked when the stream breaks or a request fails.
  async function probe() {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 1500);
    try {
      const res = await fetch("/api/ping", { credentials: "same-origin", cache: "no-store", signal: ctl.signal });
      if (res.status === 204) return "up";
      return "restarted"; // a new server, with a new token
    } catch (_) {
      return "down";
    } finally {
      clearTimeout(timer);
    }
  }

  let watching = null;
  function serverGone(how) {
    if (live.server === how) return;
    live.server = how;
    live.ready = false;
    if (source) source.close();
    source = null;
    connected = null;
    if (how === "down") {
      status(zh ? "nslab serve 已停止：用 `" + restart + "` 重新启动它，然后打开它打印的网址。" : "nslab serve has stopped: start it again with `" + restart + "`, then open the URL it prints.", "error");
    } else status(zh ? "nslab serve 重启过了：打开它打印的网址（带有新的令牌）。" : "nslab serve was restarted: open the URL it printed (it has a new token).", "error");
    update();
    // Keep looking: the same server back (the network was down) is
    // reconnected to, and the page catches up; a new one needs its URL.
    if (!watching)
      watching = setInterval(async () => {
        const now = await probe();
        if (now === "up") {
          clearInterval(watching);
          watching = null;
          live.server = "up";
          update();
          connect();
        } else if (now === "restarted" && live.server === "down") serverGone("restarted");
      }, 1000);
  }

  async function checkServer() {
    const now = await probe();
    if (now !== "up") serverGone(now);
    return now;
  }

  // Opens a session and its event stream; resolves once the stream's hello
  // has come (or after a moment without it: the answers carry the results).
  function connect() {
    if (connected) return connected;
    connected = (async () => {
      if (!live.session) {
        status(T("starting a lab…"), "busy");
        let res;
        try {
          res = await post("/api/sessions", zh ? { lesson, lang: "zh" } : { lesson });
        } catch (_) {
          connected = null;
          await checkServer();
          return false;
        }
        if (!res.ok) {
          refusal = await sentence(res);
          status(refusal, "error");
          connected = null;
          return false;
        }
        live.session = (await res.json()).session;
      } else status(T("reconnecting…"), "busy");
      let hello;
      const first = new Promise((resolve) => (hello = resolve));
      source = new EventSource("/api/sessions/" + live.session + "/events");
      const on = (name, fn) => source.addEventListener(name, (e) => fn(JSON.parse(e.data), Number(e.lastEventId) || 0));
      on("hello", (d) => {
        restart = d.restart || restart;
        // The server's state replaces the page's.
        if (d.seq >= seq) {
          seq = d.seq;
          for (const k of Object.keys(model)) delete model[k];
          for (const st of d.state || []) {
            if (st.quiet) take({ worker: "quiet", step: st.step });
            if (st.report) take(st.report);
            if (st.view) take(st.view);
            if (st.exercise) take(st.exercise);
          }
          renderAll();
        }
        if (d.ready) ready();
        else status(T("starting a lab…"), "busy");
        hello(true);
      });
      on("ready", ready);
      for (const name of ["report", "view", "quiet", "exercise"]) on(name, (d, n) => streamed(n, d));
      on("reset", () => {
        for (const k of Object.keys(model)) delete model[k];
        renderAll();
        status(T("a fresh lab"), "ok");
      });
      on("ended", (d) => ended(d.why));
      source.onerror = async () => {
        if (!source) return;
        status(T("reconnecting…"), "busy");
        const now = await checkServer();
        // The server is there but refused the stream: the session is gone.
        if (now === "up" && source && source.readyState === EventSource.CLOSED) ended(T("the server no longer knows it"));
      };
      const late = new Promise((resolve) => setTimeout(() => resolve(false), 3000));
      await Promise.race([first, late]);
      return true;
    })();
    return connected;
  }

  function ready() {
    live.ready = true;
    status(T("your lab is ready"), "ok");
  }

  function ended(why) {
    if (source) source.close();
    source = null;
    connected = null;
    live.session = null;
    live.ready = false;
    status(zh ? "这个实验环境已结束（" + why + "）：下一次运行会新开一个" : "this lab has ended (" + why + "): the next Run starts a new one", "error");
  }

  async function act(op, id, ev) {
    live.timings[id] = { clicked: ev ? ev.timeStamp : performance.now() };
    if (live.server !== "up") return;
    running[id] = true;
    update();
    try {
      if (!(await connect())) {
        // Answered in the step too: no lab (too many sessions, or the server is gone).
        showError(id, live.server === "up" ? T("No lab could be started: ") + (refusal || T("see the status below.")) : T("nslab serve has stopped."));
        return;
      }
      const res = await post("/api/sessions/" + live.session + "/" + op, { lesson, step: id });
      if (!res.ok) {
        showError(id, await sentence(res));
        if (res.status === 404 || res.status === 410) ended(T("it is gone"));
        return;
      }
      // The answer carries the result: the page shows it even when the
      // stream is slow or lost; the stream's copies are then ignored.
      const text = await res.text();
      const n = Number(res.headers.get("x-nslab-seq")) || 0;
      if (!n || n > seq) {
        const touched = new Set();
        for (const l of text.split("\n")) {
          if (!l) continue;
          const t = take(JSON.parse(l));
          if (t) touched.add(t);
        }
        if (n) seq = n;
        for (const t of touched) render(t);
      }
      shown(id);
    } catch (e) {
      if ((await checkServer()) === "up") showError(id, (zh ? "请求失败：" : "The request failed: ") + e.message + ".");
    } finally {
      running[id] = false;
      update();
    }
  }

  reset.addEventListener("click", async () => {
    if (!live.session) return connect();
    status(T("resetting…"), "busy");
    try {
      const res = await post("/api/sessions/" + live.session + "/reset");
      if (!res.ok) ended(T("reset failed: ") + (await sentence(res)));
    } catch (_) {
      await checkServer();
    }
  });

  window.addEventListener("pagehide", () => {
    if (live.session) navigator.sendBeacon("/api/sessions/" + live.session + "/close");
  });

  function showError(id, message) {
    const s = byId[id];
    if (!s) return;
    s.result.replaceChildren();
    line(s.result, "nslab-live-error", "✘ " + message);
  }

  // ---- rendering, in the words of `nslab run` -------------------------------------------
  function renderAll() {
    for (const id of Object.keys(byId)) render(id);
  }

  // Draws a step from the model alone, so drawing it twice changes nothing.
  function render(id) {
    const s = byId[id];
    const m = model[id] || {};
    const r = s.result;
    r.replaceChildren();
    s.info.replaceChildren();
    s.block.classList.remove("nslab-passed", "nslab-failed", "nslab-skipped", "nslab-quiet");
    delete r.dataset.outcome;
    marks(s, null);
    if (m.quiet) {
      s.block.classList.add("nslab-quiet", "nslab-passed");
      line(r, "nslab-live-quiet", "✔ ran before this one (quietly, as `nslab run --from` does): every check held");
      marks(s, "holds");
      shown(id);
    }
    if (m.report) report(s, m.report);
    if (m.view && m.report && m.report.event !== "step_started") view(s, m.view);
    if (m.exercise) exerciseOpen(s, m.exercise);
  }

  // The static checks, neutral (○) before a run: ✔ / ✘ replace them in place.
  function marks(s, all, verdicts) {
    s.expects.forEach((li, i) => {
      for (const o of li.querySelectorAll(":scope > .nslab-live-observed")) o.remove();
      const v = verdicts ? verdicts[i] : null;
      const mark = v ? (v.holds ? "holds" : "fails") : all;
      if (mark) li.dataset.mark = mark;
      else delete li.dataset.mark;
      if (v && !v.holds && v.observed) {
        const [first, ...rest] = v.observed.split("\n");
        const o = line(li, "nslab-live-observed", T("observed: ") + first);
        if (rest.length) o.appendChild(el("pre", null, rest.slice(0, 20).join("\n")));
      }
    });
  }

  function report(s, e) {
    const r = s.result;
    if (e.event === "step_started") {
      r.appendChild(el("div", "nslab-live-running", T("▶ running…")));
      return;
    }
    s.block.classList.add("nslab-" + e.outcome);
    if (e.outcome === "skipped") {
      line(r, "nslab-live-skipped", T("↷ skipped: ") + e.reason);
      marks(s, "skipped");
      shown(e.step);
      return;
    }
    const head = el("div", "nslab-live-outcome " + e.outcome, e.outcome === "passed" ? T("✔ passed") : T("✘ failed"));
    if (e.duration_ms !== undefined) head.appendChild(el("span", "nslab-live-ms", " " + e.duration_ms + " ms"));
    r.appendChild(head);
    r.appendChild(el("div", "nslab-live-display"));
    if (e.command) {
      const out = el("div", "nslab-live-output");
      const shownLines = (text, max) => {
        const lines = text.split("\n");
        if (lines.length && lines[lines.length - 1] === "") lines.pop();
        for (const l of lines.slice(0, max)) out.appendChild(el("div", null, "│ " + l));
        if (lines.length > max) out.appendChild(el("div", null, "│ … " + (lines.length - max) + " more lines"));
      };
      shownLines(e.command.stdout || "", 40);
      shownLines(e.command.stderr || "", 20);
      if (e.command.dropped_bytes > 0) out.appendChild(el("div", null, "│ … and " + e.command.dropped_bytes + " more bytes, not kept"));
      if (out.childNodes.length) r.appendChild(out);
      if (e.command.timed_out) line(r, "nslab-live-bad", "⏱ the command timed out after " + (e.command.elapsed_ms / 1000).toFixed(1) + " s and was killed");
    }
    if (e.error) line(r, "nslab-live-bad", T("✘ the action failed: ") + e.error);
    const verdicts = e.verdicts || [];
    if (verdicts.length && verdicts.length === s.expects.length) {
      marks(s, null, verdicts);
    } else if (verdicts.length) {
      // The page's list does not match (an edited page): the verdicts on their own.
      const list = el("ul", "nslab-live-verdicts");
      for (const v of verdicts) {
        const li = el("li", v.holds ? "holds" : "fails");
        inline(li, (v.holds ? "✔ " : "✘ ") + v.expected);
        if (!v.holds) line(li, "nslab-live-observed", T("observed: ") + (v.observed || ""));
        list.appendChild(li);
      }
      r.appendChild(list);
    }
    r.appendChild(el("div", "nslab-live-table-slot"));
    r.dataset.outcome = e.outcome;
  }

  function view(s, v) {
    const r = s.result;
    const display = r.querySelector(".nslab-live-display");
    if (display && v.display) display.appendChild(el("pre", null, v.display));
    const slot = r.querySelector(".nslab-live-table-slot");
    if (slot && v.picture) {
      const box = el("div", "nslab-live-picture");
      box.appendChild(el("p", "nslab-picture-title", T("What the kernel shows now:")));
      // Drawn by the server (the same code as the book's expected picture),
      // every name in it escaped there.
      const art = el("div", "nslab-picture-art");
      art.innerHTML = v.picture;
      box.appendChild(art);
      slot.appendChild(box);
    }
    if (slot && v.table && v.table.length) {
      const kinds = v.kinds && v.kinds.length ? v.kinds : KINDS_FALLBACK;
      const wrap = el(v.picture ? "details" : "div", "nslab-live-table-wrap");
      if (v.picture) wrap.appendChild(el("summary", null, T("the same as a table")));
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
          if (c.changed) td.title = T("changed during this step");
          tr.appendChild(td);
        }
        table.appendChild(tr);
      }
      wrap.appendChild(table);
      slot.appendChild(wrap);
    }
    if (r.dataset.outcome === "failed" && v.hints && v.hints.length) line(r, "nslab-live-hint", "hint: " + v.hints[0]);
    shown(v.step);
  }

  function shown(id) {
    const t = live.timings[id];
    if (t && t.shown === undefined) t.shown = performance.now();
  }

  function exerciseOpen(s, x) {
    s.info.appendChild(el("p", null, T("Your lab is ready for this exercise. In a terminal, as the user that runs nslab serve, open a shell inside it:")));
    const pre = el("pre", "nslab-live-attach");
    pre.appendChild(el("code", null, x.attach));
    s.info.appendChild(pre);
    const p = el("p");
    inline(p, T("Work there, then type `check` in that shell (its answer shows here too), or press Check. Moving on to another step closes what you started there."));
    s.info.appendChild(p);
    shown(x.step);
  }

  update();
  connect();
})();

// The reply and statement editors: as one types, the text goes to the clinic's compliance
// check endpoint and the guard's findings are shown, with the flagged spans marked. "Insert"
// buttons put a fact of the fact sheet at the cursor. Without JavaScript the page still works:
// "Check with the guard" and "Save" do the same on the server.
(function () {
  "use strict";

  function cookie(name) {
    const parts = document.cookie ? document.cookie.split(";") : [];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i].trim();
      if (part.substring(0, name.length + 1) === name + "=") {
        return decodeURIComponent(part.substring(name.length + 1));
      }
    }
    return "";
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function insertAt(target, text) {
    const start = typeof target.selectionStart === "number" ? target.selectionStart : target.value.length;
    const end = typeof target.selectionEnd === "number" ? target.selectionEnd : start;
    const before = target.value.slice(0, start);
    const after = target.value.slice(end);
    const pad = before && !/\s$/.test(before) ? " " : "";
    target.value = before + pad + text + (after && !/^\s/.test(after) ? " " : "") + after;
    const caret = (before + pad + text).length;
    target.focus();
    target.setSelectionRange(caret, caret);
    target.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.querySelectorAll("button.insert-fact").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      const target = document.getElementById(button.dataset.target);
      if (target) insertAt(target, button.dataset.insert);
    });
  });

  const area = document.querySelector("textarea[data-check-url]");
  const live = document.getElementById("guard-live");
  if (!area || !live) return;
  const title = area.dataset.titleId ? document.getElementById(area.dataset.titleId) : null;
  let timer = null;
  let sequence = 0;

  const VERDICTS = {
    block: ["pill negative", "Blocked"],
    needs_review: ["pill neutral", "Needs review"],
    ok: ["pill positive", "OK"],
  };

  function checkedText() {
    return title ? title.value + "\n\n" + area.value : area.value;
  }

  function preview(text, findings) {
    const p = el("p", { class: "preview", "aria-label": "Your text with the guard's findings marked" });
    const spans = findings
      .map(function (f) { return { start: f.start, end: f.end, note: f.message }; })
      .sort(function (a, b) { return a.start - b.start; });
    let at = 0;
    spans.forEach(function (span) {
      if (span.end <= at) return;
      const start = Math.max(span.start, at);
      if (start > at) p.appendChild(document.createTextNode(text.slice(at, start)));
      p.appendChild(el("mark", { title: span.note }, text.slice(start, span.end)));
      at = span.end;
    });
    if (at < text.length) p.appendChild(document.createTextNode(text.slice(at)));
    return p;
  }

  function useSuggestion(finding, offset) {
    const start = finding.start - offset;
    const end = finding.end - offset;
    if (start < 0 || area.value.slice(start, end) !== finding.text) return;
    area.value = area.value.slice(0, start) + finding.suggestion + area.value.slice(end);
    area.focus();
    area.setSelectionRange(start + finding.suggestion.length, start + finding.suggestion.length);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  const mirror = area.dataset.mirror ? document.getElementById(area.dataset.mirror) : null;
  const status = area.dataset.status ? document.getElementById(area.dataset.status) : null;
  let lastSummary = status ? status.textContent.trim() : "";
  let lastFindings = [];
  let lastOffset = 0;

  // The mirror sits under the (transparent) textarea with the same text, so a <mark> in it
  // highlights exactly the characters a finding covers while one keeps typing.
  function paintMirror(findings, offset) {
    if (!mirror) return;
    const text = area.value;
    const spans = findings
      .map(function (f) {
        return { start: f.start - offset, end: f.end - offset, block: f.severity === "block", note: f.message };
      })
      .filter(function (f) { return f.end > 0 && f.start < text.length; })
      .sort(function (a, b) { return a.start - b.start; });
    mirror.replaceChildren();
    let at = 0;
    spans.forEach(function (span) {
      const start = Math.max(span.start, at, 0);
      const end = Math.min(span.end, text.length);
      if (end <= start) return;
      if (start > at) mirror.appendChild(document.createTextNode(text.slice(at, start)));
      mirror.appendChild(el("mark", { class: span.block ? "block" : "review" }, text.slice(start, end)));
      at = end;
    });
    // a trailing newline needs a character after it to take up its line
    mirror.appendChild(document.createTextNode(text.slice(at) + "\u200b"));
    mirror.scrollTop = area.scrollTop;
  }

  function announce(result) {
    if (!status) return;
    const n = result.findings.length;
    const blocks = result.findings.filter(function (f) { return f.severity === "block"; }).length;
    let summary = "The guard finds nothing to flag.";
    if (n) {
      summary = (result.verdict === "block" ? "The guard blocks this text: " : "The guard asks for a review: ") +
        n + (n === 1 ? " finding" : " findings") + (blocks ? ", " + blocks + " blocking" : "") +
        ". First: “" + result.findings[0].text + "”, " + result.findings[0].message;
    }
    if (summary !== lastSummary) {
      status.textContent = summary;
      lastSummary = summary;
    }
  }

  if (mirror) {
    area.addEventListener("scroll", function () { mirror.scrollTop = area.scrollTop; });
    area.addEventListener("input", function () {
      // keep the text aligned at once: marks whose words are still in place stay, the rest
      // follow when the check answers
      paintMirror(lastFindings.filter(function (f) {
        return area.value.slice(f.start - lastOffset, f.end - lastOffset) === f.text;
      }), lastOffset);
    });
  }

  function render(result, text) {
    const offset = title ? title.value.length + 2 : 0;
    lastFindings = result.findings;
    lastOffset = offset;
    paintMirror(result.findings, offset);
    announce(result);
    live.replaceChildren();
    if (result.findings.length) live.appendChild(preview(text, result.findings));
    const verdict = VERDICTS[result.verdict] || ["pill", result.verdict];
    const line = el("p", {}, "Guard verdict: ");
    line.appendChild(el("span", { class: verdict[0] }, verdict[1]));
    live.appendChild(line);
    if (!result.findings.length) return;
    const list = el("ul", { class: "findings" });
    result.findings.forEach(function (f) {
      const item = el("li");
      item.appendChild(el("strong", {}, f.severity === "block" ? "Blocks" : "Needs review"));
      item.appendChild(document.createTextNode(
        " — “" + f.text + "” (" + f.kind.replace(/_/g, " ") + "): " + f.message + " "));
      if (f.suggestion && f.start >= offset) {
        const button = el("button", { type: "button", class: "link" }, "Replace with “" + f.suggestion + "”");
        button.addEventListener("click", function () { useSuggestion(f, offset); });
        item.appendChild(button);
      }
      list.appendChild(item);
    });
    live.appendChild(list);
  }

  function check() {
    const mine = ++sequence;
    const text = checkedText();
    const body = { text: text };
    if (area.dataset.reviewId) body.review_id = Number(area.dataset.reviewId);
    fetch(area.dataset.checkUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": cookie("csrftoken"),
      },
      body: JSON.stringify(body),
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (result) {
        if (result && mine === sequence) render(result, text);
      })
      .catch(function () { /* offline: the server checks again on save */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 500);
  }

  area.addEventListener("input", later);
  if (title) title.addEventListener("input", later);
  if (area.value.trim()) check();
})();

// The reply and statement editors: as one types, the text goes to the clinic's compliance
// check endpoint and the guard's findings are shown, with the flagged spans marked. "Insert"
// buttons put a fact of the fact sheet at the cursor. "Fix" and "Apply all fixes" ask the
// server for the fixed text (whole sentences, never pasted phrases); each finding shows the
// guard's suggestion. Submit is off while the guard blocks the text, with one line saying why,
// and "Save and ask legal to lift the block" (data-ask-legal) shows instead: legal is asked only
// when the writer sends a blocked text, never when she saves one; typed text is never thrown
// away: Submit saves it first, loading a template or leaving the page asks before replacing
// unsaved text.
// Without JavaScript the page still works: "Check with the guard" and "Save" do the same on
// the server. The batch page (one text for many mentions) uses it too: its check answers, besides
// the guard's verdict, `problems` (a reply too long for its platform, a variable without a
// value), which keep Submit off as well, and each finding once with `replies`: in how many;
// its fixes (data-fix-url) answer as the single editor's, on the text with its variables.
(function () {
  "use strict";

  // A button that throws work away asks first (data-confirm: the question).
  document.addEventListener("click", function (event) {
    const button = event.target.closest ? event.target.closest("button[data-confirm]") : null;
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

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

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": cookie("csrftoken"),
      },
      body: JSON.stringify(body),
    }).then(function (response) { return response.ok ? response.json() : null; });
  }

  const fixNote = el("p", { id: "fix-note", class: "muted", role: "status" });
  live.parentNode.insertBefore(fixNote, live.nextSibling);
  // the text the last fix gave: the note says what that fix changed, so once the text is
  // typed over (or a template replaces it) the note is stale and goes
  let fixedText = null;
  area.addEventListener("input", function () {
    if (fixedText !== null && area.value !== fixedText) {
      fixNote.textContent = "";
      fixedText = null;
    }
  });

  // Ask the server to fix the findings (all of them, or those over one span of the text) and
  // put the result in the editor; the live check then runs on it.
  function applyFixes(span) {
    if (!area.dataset.fixUrl) return;
    const body = { text: area.value, purpose: area.dataset.purpose || "reply" };
    if (area.dataset.reviewId) body.review_id = Number(area.dataset.reviewId);
    if (span) { body.start = span[0]; body.end = span[1]; }
    const sent = area.value;
    post(area.dataset.fixUrl, body).then(function (result) {
      if (!result || area.value !== sent) return;
      area.value = result.text;
      fixedText = result.text;
      area.focus();
      area.dispatchEvent(new Event("input", { bubbles: true }));
      const n = result.changes.length;
      fixNote.textContent = n ? (n === 1 ? "1 change: " : n + " changes: ") + result.changes.join("; ") + "." : "Nothing to fix.";
    }).catch(function () { /* offline: nothing changes */ });
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

  // A name the clinic's staff list does not hold (data-staff-names: the list's page for those
  // who may change it, "ask" for the others): a link there and "Add “…” to the staff names",
  // which posts the editor's form (the name is added, the text checked again).
  function staffHelp(item, f) {
    const where = area.dataset.staffNames;
    if (!where || f.kind !== "identifier" || (f.subtype !== "person" && f.subtype !== "staff_contact" && f.subtype !== "clinician_no_staff_list")) return;
    if (where === "ask") {
      item.appendChild(el("span", { class: "muted" }, "If “" + f.text + "” is on the clinic's staff, " +
        "ask an agency owner or manager to add the name there. "));
      return;
    }
    item.appendChild(el("a", { href: where }, "Staff names"));
    item.appendChild(document.createTextNode(" "));
    item.appendChild(el("button", {
      type: "submit", name: "add_staff_name", value: f.text, class: "link add-staff-name",
      "data-confirm": "Add “" + f.text + "” to the clinic's staff names? Only a member of the " +
        "clinic's staff belongs there: the guard then allows the name in every reply.",
    }, "Add “" + f.text + "” to the staff names"));
    item.appendChild(document.createTextNode(" "));
  }

  // What each "Fix this" fixes, for its accessible name ("Fix this: the visit date
  // “December 3”"): six findings give six buttons that say which one each is.
  const FINDING_NAMES = {
    date: "the visit date", echoed_date: "the visit date", date_of_birth: "the date of birth",
    phone: "the phone number", phone_contact: "the phone number", email: "the e-mail address",
    email_contact: "the e-mail address", address: "the postal address", person: "the name",
    staff_contact: "the name", clinician_no_staff_list: "the name",
    reviewer_name: "the reviewer's name", record_number: "the record number",
    ssn: "the card or account digits", payment_card: "the card or account digits",
    addressed_as_patient: "calling the reader a patient",
  };
  const KIND_NAMES = {
    identifier: "the identifier", patient_confirmation: "the patient confirmation",
    health_detail: "the health detail", tone: "the tone",
  };
  function findingName(f) {
    return (FINDING_NAMES[f.subtype] || KIND_NAMES[f.kind] || "the finding") + " “" + f.text + "”";
  }

  function render(result, text) {
    const offset = title ? title.value.length + 2 : 0;
    lastFindings = result.findings;
    lastOffset = offset;
    lastVerdict = result.verdict;
    lastProblems = (result.problems || []).concat(tooLong());
    submitState();
    paintMirror(result.findings, offset);
    announce(result);
    live.replaceChildren();
    if (result.findings.length) live.appendChild(preview(text, result.findings));
    const verdict = VERDICTS[result.verdict] || ["pill", result.verdict];
    const line = el("p", {}, "Guard verdict: ");
    line.appendChild(el("span", { class: verdict[0] }, verdict[1]));
    live.appendChild(line);
    if (lastProblems.length) {
      const problems = el("ul", { class: "error problems" });
      lastProblems.forEach(function (p) { problems.appendChild(el("li", {}, p)); });
      live.appendChild(problems);
    }
    if (!result.findings.length) return;
    if (area.dataset.fixUrl && result.findings.some(function (f) { return f.end > offset; })) {
      const all = el("button", { type: "button", id: "apply-all-fixes" }, "Apply all fixes");
      all.addEventListener("click", function () { applyFixes(null); });
      live.appendChild(all);
    }
    const list = el("ul", { class: "findings" });
    result.findings.forEach(function (f) {
      const item = el("li");
      item.appendChild(el("strong", {}, f.severity === "block" ? "Blocks" : "Needs review"));
      item.appendChild(document.createTextNode(
        " — “" + f.text + "” (" + f.kind.replace(/_/g, " ") + "): " + f.message + " "));
      if (f.replies > 1) item.appendChild(el("span", { class: "muted" }, "(in " + f.replies + " replies) "));
      if (f.suggestion) item.appendChild(el("span", { class: "muted suggestion" }, "Suggestion: " + f.suggestion + " "));
      staffHelp(item, f);
      // a finding inside a filled-in variable (a batch's {greeting}) has no span to fix;
      // markup goes with "Apply all fixes" only (one finding's fix leaves the rest as it is)
      if (area.dataset.fixUrl && f.kind !== "markup" && f.start >= offset && f.end > f.start && f.end - f.start < text.length - offset) {
        const button = el("button", {
          type: "button", class: "link fix-one", "aria-label": "Fix this: " + findingName(f),
        }, "Fix this");
        button.addEventListener("click", function () { applyFixes([f.start - offset, f.end - offset]); });
        item.appendChild(button);
      }
      list.appendChild(item);
    });
    live.appendChild(list);
  }

  // --- Submit: off while the guard blocks the text (or a variable has no value) ------------
  const submit = area.dataset.submit ? document.getElementById(area.dataset.submit) : null;
  const reason = area.dataset.reason ? document.getElementById(area.dataset.reason) : null;
  const askLegal = area.dataset.askLegal ? document.getElementById(area.dataset.askLegal) : null;
  const legalAsked = area.dataset.legalAsked === "1";
  // legal kept the block of the saved version and sent it back (not "asked" any more)
  const legalKept = area.dataset.legalKept === "1";
  const initial = checkedText();
  const overridden = area.dataset.overridden === "1";
  const unresolved = (area.dataset.unresolved || "").split("|")
    .map(function (m) { const found = m.match(/^\{[^}]+\}/); return found ? found[0] : ""; })
    .filter(Boolean);
  // what to do about each variable without a value, by its kind (data-advice, from the server)
  let advice = {};
  try { advice = JSON.parse(area.dataset.advice || "{}"); } catch (e) { advice = {}; }
  let lastVerdict = area.dataset.verdict || "";
  let lastProblems = [];
  try { lastProblems = JSON.parse(area.dataset.problems || "[]"); } catch (e) { lastProblems = []; }

  // A reply must fit its platform (data-limit: X takes 280 characters).
  function tooLong() {
    const limit = parseInt(area.dataset.limit || "0", 10);
    const length = area.value.length;
    if (!limit || length <= limit) return [];
    return ["The reply is too long for " + (area.dataset.platform || "its platform") + " by " +
      (length - limit) + " characters (" + length + " of at most " + limit + ")."];
  }

  function submitState() {
    if (!submit) return;
    let why = "";
    const left = unresolved.filter(function (p) { return area.value.indexOf(p) !== -1; });
    const blocked = lastVerdict === "block" && !(overridden && checkedText() === initial);
    // the saved text legal was already asked about: nothing new to send them
    const asked = legalAsked && checkedText() === initial;
    // markup: saving refuses it whatever legal says, so no asking legal, one line saying why
    const markup = lastFindings.filter(function (f) { return f.kind === "markup"; });
    if (askLegal) askLegal.hidden = !blocked || asked || Boolean(left.length) || Boolean(markup.length);
    if (markup.length) {
      why = "Submit is off: " + markup[0].message + (area.dataset.fixUrl ? " Apply all fixes takes it out." : "");
    } else if (blocked) {
      const blocks = lastFindings.filter(function (f) { return f.severity === "block"; }).length;
      why = "Submit is off: the guard blocks this text" +
        (blocks ? " (" + blocks + (blocks === 1 ? " finding" : " findings") + ")" : "") +
        (askLegal
          ? ". Fix the marked words" + (asked
            ? (legalKept
              ? "; legal kept the block and sent this version back: your next version goes to legal again."
              : "; legal was asked to lift the block.")
            : ", or ask legal to lift the block.")
          : ". Apply the fixes or change the marked words.");
    } else if (left.length) {
      why = "Submit is off: " + left.join(", ") + (left.length === 1 ? " has" : " have") +
        " no value. " + left.map(function (p) {
          return advice[p] || "Fill in " + p + " or remove it.";
        }).join(" ");
    } else if (lastProblems.length) {
      why = "Submit is off: " + lastProblems[0] +
        (lastProblems.length > 1 ? " (and " + (lastProblems.length - 1) + " more)" : "");
    }
    submit.disabled = Boolean(why);
    if (reason) reason.textContent = why;
  }

  // --- unsaved text is never thrown away ----------------------------------------------------
  const form = area.form;
  const edited = document.getElementById("loaded-edited");
  let leaving = false;
  const unsavedAtLoad = area.dataset.unsaved === "1";
  // data-baseline: the text the editor's is compared with (the saved version, else what was
  // loaded: a suggestion or a template is not an edit); without it, the text at load
  const hasBaseline = area.hasAttribute("data-baseline");
  const baseline = hasBaseline ? area.dataset.baseline.replace(/\r\n/g, "\n").trim() : "";
  function dirty() {
    if (hasBaseline) return area.value.replace(/\r\n/g, "\n").trim() !== baseline;
    return unsavedAtLoad || checkedText() !== initial;
  }
  function markDirty() { if (edited) edited.hidden = !dirty(); submitState(); }
  // a page shown again from the browser's cache (Back) or with text the browser put back
  // says what holds now
  function showMarker() { if (edited) edited.hidden = !dirty(); }
  showMarker();
  window.addEventListener("pageshow", function () { leaving = false; showMarker(); });
  if (form) form.addEventListener("submit", function () { leaving = true; });
  window.addEventListener("beforeunload", function (event) {
    if (!leaving && dirty()) { event.preventDefault(); event.returnValue = ""; }
  });
  const templateForm = document.getElementById("template-form");
  if (templateForm) {
    templateForm.addEventListener("submit", function (event) {
      if (!dirty()) { leaving = true; return; }
      const choice = templateForm.querySelector("select");
      const name = choice && choice.selectedOptions[0] ? choice.selectedOptions[0].textContent : "the template";
      if (window.confirm("Replace your unsaved text with “" + name.trim() + "”? Your text has not been saved.")) {
        leaving = true;
      } else {
        event.preventDefault();
      }
    });
  }
  area.addEventListener("input", markDirty);
  if (title) title.addEventListener("input", markDirty);

  function check() {
    const mine = ++sequence;
    const text = checkedText();
    const body = { text: text, purpose: area.dataset.purpose || "reply" };
    if (area.dataset.reviewId) body.review_id = Number(area.dataset.reviewId);
    post(area.dataset.checkUrl, body)
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

// poolmail console: copy chips, confirmations, the scope switcher and the live mailbox.
// Served from 'self' under a CSP without inline scripts; it only ever inserts HTML the
// server rendered (and escaped) itself.
"use strict";

function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text);
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  document.body.appendChild(area);
  area.select();
  document.execCommand("copy");
  area.remove();
  return Promise.resolve();
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button.copy");
  if (button) {
    copyText(button.dataset.copy || "").finally(() => {
      button.textContent = "Copied";
      button.classList.add("copied");
      setTimeout(() => { button.textContent = "Copy"; button.classList.remove("copied"); }, 1500);
    });
  }
  if (event.target.closest("[data-back]")) {
    history.back();
  }
});

document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});

// The live mailbox (and SMS outbox): ask for the rows again every few seconds and swap
// them in when they changed, marking the rows that are new.
const rows = document.querySelector("tbody[data-rows-url]");
if (rows) {
  const url = new URL(rows.dataset.rowsUrl, window.location.href);
  const every = Number(rows.dataset.poll) || 1500;
  const state = document.getElementById("live-state");
  let last = null; // the server's last answer, compared as text
  let timer = null;
  let refiltered = false; // the rows asked for changed: none of them is new mail
  let asked = 0; // refreshes started; only the latest one's answer is shown
  const refresh = async () => {
    clearTimeout(timer);
    const mine = ++asked;
    try {
      const answer = await fetch(url.href, { headers: { Accept: "text/html" }, cache: "no-store" });
      if (!answer.ok) throw new Error(String(answer.status));
      const html = (await answer.text()).trim();
      if (mine !== asked) return; // a newer refresh (other filters) answers instead
      if (html !== last) {
        const known = new Set([...rows.querySelectorAll("tr[data-message-id]")].map((row) => row.dataset.messageId));
        rows.innerHTML = html;
        last = html;
        if (!refiltered) {
          rows.querySelectorAll("tr[data-message-id]").forEach((row) => {
            if (!known.has(row.dataset.messageId)) row.classList.add("fresh");
          });
        }
      }
      refiltered = false;
      if (state) { state.textContent = "live"; state.classList.remove("stale"); }
    } catch (error) {
      if (mine !== asked) return;
      if (state) { state.textContent = "offline — retrying"; state.classList.add("stale"); }
    }
    timer = setTimeout(refresh, every);
  };
  timer = setTimeout(refresh, every);

  // Filters that apply as they are typed (the mailbox's search among them): the rows are
  // asked for again at once, and the address bar keeps the filters for a reload or a link.
  const filters = document.querySelector("form[data-live-filters]");
  if (filters) {
    let pause = null;
    const apply = () => {
      const query = new URLSearchParams();
      new FormData(filters).forEach((value, name) => {
        if (typeof value === "string" && value.trim() !== "") query.set(name, value.trim());
      });
      const search = query.toString();
      if (url.search === (search ? "?" + search : "")) return;
      url.search = search;
      refiltered = true;
      history.replaceState(null, "", filters.getAttribute("action") + (search ? "?" + search : ""));
      refresh();
    };
    filters.addEventListener("input", () => { clearTimeout(pause); pause = setTimeout(apply, 250); });
    filters.addEventListener("change", apply);
  }
}

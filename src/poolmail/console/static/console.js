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
  const url = rows.dataset.rowsUrl;
  const every = Number(rows.dataset.poll) || 1500;
  const state = document.getElementById("live-state");
  let last = null; // the server's last answer, compared as text
  const refresh = async () => {
    try {
      const answer = await fetch(url, { headers: { Accept: "text/html" }, cache: "no-store" });
      if (!answer.ok) throw new Error(String(answer.status));
      const html = (await answer.text()).trim();
      if (html !== last) {
        const known = new Set([...rows.querySelectorAll("tr[data-message-id]")].map((row) => row.dataset.messageId));
        rows.innerHTML = html;
        last = html;
        rows.querySelectorAll("tr[data-message-id]").forEach((row) => {
          if (!known.has(row.dataset.messageId)) row.classList.add("fresh");
        });
      }
      if (state) { state.textContent = "live"; state.classList.remove("stale"); }
    } catch (error) {
      if (state) { state.textContent = "offline — retrying"; state.classList.add("stale"); }
    }
    setTimeout(refresh, every);
  };
  setTimeout(refresh, every);
}

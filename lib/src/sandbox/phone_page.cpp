// twofa-sandbox's phone in the browser: GET /phone shows every pending push with Approve and
// Deny, each user's SMS / voice inbox and the code their authenticator app shows now,
// refreshing itself; GET /sandbox/pushes is the pending list it reads. Plain HTML and a little
// JavaScript, no framework; everything a client sent is shown as text, never as markup.
#include "sandbox/sandbox_impl.hpp"

namespace twofa {

namespace {

constexpr const char* k_page = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>twofa-sandbox phone</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:1.5em;max-width:46em;color:#222}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.6em}
.card{border:1px solid #ccc;border-radius:8px;padding:.7em 1em;margin:.6em 0}
.push{border-color:#2a6}.muted{color:#777}.code{font:600 1.4em monospace;letter-spacing:.1em}
button{font-size:1em;padding:.35em 1.1em;margin-right:.5em;border-radius:6px;border:1px solid #888}
button.approve{background:#2a6;color:#fff;border-color:#2a6}button.deny{background:#c33;color:#fff;border-color:#c33}
dl{margin:.3em 0}dt{float:left;clear:left;width:8em;color:#555}dd{margin-left:8.5em}
</style></head><body>
<h1>twofa-sandbox phone</h1>
<p class="muted" id="status">loading...</p>
<h2>Push requests waiting</h2><div id="pushes"></div>
<h2>Phones</h2><div id="users"></div>
<h2>Other codes sent (Twilio Verify, phone verification)</h2><div id="others"></div>
<script>
"use strict";
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
async function get(path) {
  const r = await fetch(path, {cache: "no-store"});
  if (!r.ok) throw new Error(path + ": " + r.status);
  return r.json();
}
async function answer(p, verdict) {
  const base = p.kind === "verify" ? "/sandbox/challenges/" : "/sandbox/approval_requests/";
  await fetch(base + encodeURIComponent(p.uuid) + "/" + verdict, {method: "POST"});
  refresh();
}
function pushCard(p) {
  const c = el("div", undefined, "card push");
  c.id = "push-" + p.uuid;
  c.appendChild(el("strong", p.message || "Login request"));
  c.appendChild(el("div", p.email + (p.kind === "verify" ? " (Twilio Verify)" : " (Authy)"), "muted"));
  const dl = el("dl");
  for (const [k, v] of p.details) { dl.appendChild(el("dt", k)); dl.appendChild(el("dd", v)); }
  c.appendChild(dl);
  c.appendChild(el("div", undefined, "muted expiry"));
  for (const [verdict, label] of [["approve", "Approve"], ["deny", "Deny"]]) {
    const b = el("button", label, verdict);
    b.id = verdict + "-" + p.uuid;
    b.onclick = () => answer(p, verdict);
    c.appendChild(b);
  }
  return c;
}
// Cards are kept across refreshes, so a click that straddles one is not lost: gone pushes are
// removed, new ones appended, and only the countdown of the others changes.
function showPushes(pushes, now) {
  const box = document.getElementById("pushes");
  const ids = new Set(pushes.map(x => "push-" + x.uuid));
  for (const c of [...box.children]) if (!ids.has(c.id)) c.remove();
  for (const x of pushes) {
    const c = document.getElementById("push-" + x.uuid) || box.appendChild(pushCard(x));
    c.querySelector(".expiry").textContent =
        x.expires_at ? "expires in " + Math.max(0, x.expires_at - now) + " s" : "";
  }
  if (!pushes.length) box.replaceChildren(el("div", "nothing waiting", "muted"));
}
function inbox(list) {
  const ul = el("ul");
  for (const m of list.slice(-5).reverse()) {
    const when = new Date(m.at * 1000).toLocaleTimeString();
    ul.appendChild(el("li", m.text ? when + " " + m.via + ": " + m.text
                                   : when + " " + m.via + ": " + m.code));
  }
  return list.length ? ul : el("div", "no messages", "muted");
}
async function userCard(u, messages) {
  const c = el("div", undefined, "card");
  c.id = "user-" + u.authy_id;
  c.appendChild(el("strong", u.email));
  c.appendChild(el("div", "+" + u.country_code + " " + u.cellphone + " \u00b7 Authy id " + u.authy_id, "muted"));
  if (u.app) {
    const t = await get("/sandbox/users/" + u.authy_id + "/token");
    const line = el("div", "App code: ");
    line.appendChild(el("span", t.token, "code"));
    line.appendChild(el("span", " (" + t.seconds_left + " s)", "muted"));
    c.appendChild(line);
  } else {
    c.appendChild(el("div", "no app installed: codes come by SMS", "muted"));
  }
  c.appendChild(inbox(messages.filter(m => m.authy_id === u.authy_id)));
  return c;
}
async function refresh() {
  try {
    const [pushes, users, messages] = await Promise.all(
        [get("/sandbox/pushes"), get("/sandbox/users"), get("/sandbox/messages")]);
    const now = Math.floor(Date.now() / 1000);
    showPushes(pushes, now);
    const cards = await Promise.all(users.map(u => userCard(u, messages)));
    document.getElementById("users").replaceChildren(...(cards.length ? cards : [el("div", "no users yet", "muted")]));
    const others = messages.filter(m => m.authy_id === 0);
    const o = document.getElementById("others");
    o.replaceChildren(others.length ? inbox(others.map(m => Object.assign({}, m, {via: m.via + " to " + m.to})))
                                    : el("div", "none", "muted"));
    document.getElementById("status").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById("status").textContent = "cannot reach the sandbox: " + e.message;
  }
}
refresh();
setInterval(refresh, 1000);
</script></body></html>
)html";

} // namespace

void Sandbox::Impl::phone_page_routes() {
    server.Get("/phone", [](const httplib::Request&, httplib::Response& r) {
        r.set_header("Content-Security-Policy",
                     "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                     "connect-src 'self'");
        r.set_header("Cache-Control", "no-store");
        r.set_content(k_page, "text/html; charset=utf-8");
    });
    server.Get("/sandbox/pushes", [this](const httplib::Request&, httplib::Response& r) {
        sandbox::send_json(r, 200, desk.pending().dump());
    });
}

} // namespace twofa

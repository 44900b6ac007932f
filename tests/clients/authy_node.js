// Drives twofa-sandbox's Authy API with npm's authy-client 1.1.4 (whose responses are checked
// by its own strict assertions) and authy 1.4.0: the tutorial's flow (register, status,
// forced SMS, verify, OneTouch request and status, delete) and the phone-verification flow,
// plus authy-client's verifyCallback on a callback the sandbox sends.
// Usage: node authy_node.js SANDBOX_URL API_KEY; prints one JSON document.
const http = require("http");
const { Client } = require("authy-client");
const [BASE, KEY] = process.argv.slice(2);
const out = { authy_client: {}, authy: {}, callbacks: [] };

async function sandbox(method, path, body) {
  const r = await fetch(BASE + path, { method, headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body) });
  return r.json();
}

async function step(where, name, fn) {
  try {
    const v = await fn();
    where[name] = "ok";
    return v;
  } catch (e) {
    where[name] = "fail: " + (e && (e.message || e.code) || String(e)) + (e && e.errors ? " " + JSON.stringify(e.errors).slice(0, 300) : "");
    return undefined;
  }
}

async function authyClient(hookUrl) {
  const c = new Client({ key: KEY }, { host: BASE });
  const r = out.authy_client;
  const user = await step(r, "registerUser", () => c.registerUser({ countryCode: "PT", email: "ac@example.com", phone: "911234567" }));
  const id = user && user.user.id;
  await step(r, "getUserStatus", () => c.getUserStatus({ authyId: id }));
  await step(r, "requestSms", () => c.requestSms({ authyId: id }, { force: true }));
  const code = ((await sandbox("GET", `/sandbox/messages?authy_id=${id}`)).pop() || {}).code;
  await step(r, "verifyToken", () => c.verifyToken({ authyId: id, token: code }));
  await step(r, "requestCall", () => c.requestCall({ authyId: id }, { force: true }));
  const ar = (await step(r, "createApprovalRequest", () => c.createApprovalRequest({ authyId: id,
    details: { hidden: { ip: "1.1.1.1" }, visible: { Account: "ac" } }, logos: [{ res: "default", url: "https://example.com/l.png" }],
    message: "Login requested" }, { ttl: 120 }))) || { approval_request: {} };
  await step(r, "getApprovalRequest", () => c.getApprovalRequest({ id: ar.approval_request.uuid }));
  await step(r, "startPhoneVerification", () => c.startPhoneVerification({ countryCode: "PT", phone: "911234560", via: "sms" }));
  const pcode = ((await sandbox("GET", "/sandbox/messages?to=%2B351911234560")).pop() || {}).code;
  await step(r, "verifyPhone", () => c.verifyPhone({ countryCode: "PT", phone: "911234560", token: pcode }));
  await step(r, "getPhoneInformation", () => c.getPhoneInformation({ countryCode: "PT", phone: "911234560" }));
  await step(r, "getApplicationDetails", () => c.getApplicationDetails());
  await step(r, "getApplicationStatistics", () => c.getApplicationStatistics());
  await step(r, "registerActivity", () => c.registerActivity({ authyId: id, data: { reason: "test" }, type: "banned" }));
  await sandbox("POST", `/sandbox/approval_requests/${ar.approval_request.uuid}/approve`);
  for (let i = 0; i < 100 && out.callbacks.length === 0; i++) await new Promise((res) => setTimeout(res, 50));
  const cb = out.callbacks[0];
  out.device_uuid_type = cb ? typeof cb.body.device_uuid : "none";
  await step(r, "verifyCallback", () => c.verifyCallback({ body: cb.body, headers: cb.headers, method: "POST",
    protocol: "http", url: "/hook" }));
  await step(r, "deleteUser", () => c.deleteUser({ authyId: id }));
}

function promisify(fn) {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));
}

async function authyLib() {
  const a = require("authy")(KEY, BASE);
  const r = out.authy;
  const user = await step(r, "register_user", () => promisify((cb) => a.register_user("au@example.com", "555-123-0002", "1", cb)));
  const id = user && user.user.id;
  await step(r, "user_status", () => promisify((cb) => a.user_status(id, cb)));
  await step(r, "request_sms", () => promisify((cb) => a.request_sms(id, true, cb)));
  const code = ((await sandbox("GET", `/sandbox/messages?authy_id=${id}`)).pop() || {}).code;
  await step(r, "verify", () => promisify((cb) => a.verify(id, code, cb)));
  await step(r, "request_call", () => promisify((cb) => a.request_call(id, true, cb)));
  await step(r, "verification_start", () => promisify((cb) => a.phones().verification_start("555-123-0003", "1", "sms", cb)));
  const pcode = ((await sandbox("GET", "/sandbox/messages?to=%2B15551230003")).pop() || {}).code;
  await step(r, "verification_status", () => promisify((cb) => a.phones().verification_status("555-123-0003", "1", cb)));
  await step(r, "verification_check", () => promisify((cb) => a.phones().verification_check("555-123-0003", "1", pcode, cb)));
  await step(r, "info", () => promisify((cb) => a.phones().info("555-123-0003", "1", cb)));
  await step(r, "delete_user", () => promisify((cb) => a.delete_user(id, cb)));
}

async function main() {
  const hooks = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => { out.callbacks.push({ body: JSON.parse(body), headers: req.headers }); res.end("{}"); });
  });
  await new Promise((r) => hooks.listen(Number(process.env.HOOK_PORT), "127.0.0.1", r));
  await authyClient(`http://127.0.0.1:${process.env.HOOK_PORT}/hook`);
  await authyLib();
  hooks.close();
  console.log(JSON.stringify(out));
}
main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });

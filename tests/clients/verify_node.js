// Drives twofa-sandbox's Verify v2 with npm's twilio: the same calls as verify_python.py, each
// webhook checked with the library's own validateRequest.
// Usage: node verify_node.js SANDBOX_URL ACCOUNT_SID AUTH_TOKEN; prints one JSON document.
const http = require("http");
const crypto = require("crypto");
const querystring = require("querystring");
const twilio = require("twilio");

const [BASE, ACCOUNT, TOKEN] = process.argv.slice(2);
const SERVICE = "VA" + "0".repeat(32);
const out = { calls: [], webhooks: [] };

async function call(name, fn) {
  out.calls.push(name);
  return fn();
}

async function sandbox(method, path, body) {
  const r = await fetch(BASE + path, {
    method, headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return r.json();
}

function totp(secretB32, at) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secretB32) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor((at || Date.now() / 1000) / 30)));
  const h = crypto.createHmac("sha1", key).update(msg).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, "0");
}

async function main() {
  const hooks = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const params = querystring.parse(body);
      const url = `http://127.0.0.1:${hooks.address().port}${req.url}`;
      const valid = twilio.validateRequest(TOKEN, req.headers["x-twilio-signature"] || "", url, params);
      out.webhooks.push({ type: params.type, valid, challenge_sid: params.challenge_sid });
      res.end();
    });
  });
  await new Promise((r) => hooks.listen(0, "127.0.0.1", r));

  const client = twilio(ACCOUNT, TOKEN);
  client.verify.baseUrl = BASE;
  const service = client.verify.v2.services(SERVICE);
  out.service_name = (await call("services.fetch", () => service.fetch())).friendlyName;
  const made = await call("services.create", () => client.verify.v2.services.create({ friendlyName: "node", codeLength: 8 }));
  out.new_service_code_length = made.codeLength;
  out.services_listed = (await call("services.list", () => client.verify.v2.services.list())).length;

  const v = await call("verifications.create", () => service.verifications.create({ to: "+15017122662", channel: "sms" }));
  out.verification = { sid: v.sid, status: v.status, channel: v.channel,
    date_created_type: v.dateCreated instanceof Date ? "Date" : typeof v.dateCreated, attempts: v.sendCodeAttempts.length };
  out.fetched_status = (await call("verifications.fetch", () => service.verifications(v.sid).fetch())).status;
  const code = (await sandbox("GET", "/sandbox/messages?to=%2B15017122662")).pop().code;
  const wrong = await call("verificationChecks.create", () => service.verificationChecks.create({ to: "+15017122662", code: "0000" }));
  const right = await call("verificationChecks.create", () => service.verificationChecks.create({ to: "+15017122662", code }));
  out.checks = [wrong.status, right.status, right.valid];
  try {
    await call("verificationChecks.create", () => service.verificationChecks.create({ to: "+15017122662", code }));
    out.after_approval = null;
  } catch (e) {
    out.after_approval = [e.status, e.code];
  }

  for (const identity of ["node-identity-01", "node-identity-02"]) {
    await call("entities.create", () => service.entities.create({ identity }));
  }
  out.entities_paged = (await call("entities.list", () => service.entities.list({ pageSize: 1 })))
    .map((e) => e.identity).sort();

  const entity = service.entities("node-identity-01");
  const factor = await call("newFactors.create", () => entity.newFactors.create({ friendlyName: "node@example.com", factorType: "totp" }));
  out.binding_uri = factor.binding.uri;
  const verified = await call("factors.update", () => entity.factors(factor.sid).update({ authPayload: totp(factor.binding.secret, Date.now() / 1000 - 30) }));
  out.factor_status = verified.status;
  const ch = await call("challenges.create", () => entity.challenges.create({ factorSid: factor.sid, authPayload: totp(factor.binding.secret) }));
  out.totp_challenge = ch.status;

  await call("webhooks.create", () => service.webhooks.create({ friendlyName: "node",
    eventTypes: ["challenge.approved", "challenge.denied"], webhookUrl: `http://127.0.0.1:${hooks.address().port}/hook` }));
  const pushFactor = await sandbox("POST", "/sandbox/entities/node-identity-02/push_device", { answer: "never" });
  const push = await call("challenges.create", () => service.entities("node-identity-02").challenges.create({
    factorSid: pushFactor.sid, "details.message": "Log in to host1?",
    "details.fields": [{ label: "Host", value: "host1" }], hiddenDetails: { session: "abc" } }));
  out.push_challenge = { status: push.status, details: push.details, hidden: push.hiddenDetails };
  await sandbox("POST", `/sandbox/challenges/${push.sid}/deny`);
  for (let i = 0; i < 100 && out.webhooks.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  out.push_fetched = (await call("challenges.fetch", () => service.entities("node-identity-02").challenges(push.sid).fetch())).status;
  out.push_sid = push.sid;
  hooks.close();
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(String(e && e.stack || e));
  process.exit(1);
});

// Opens twofa-sandbox's /phone in headless Chromium, waits for the pending push of the email
// given, checks what the page shows, clicks Approve, and waits for the push to leave the page.
// Usage: node phone_page.js SANDBOX_URL EMAIL ; prints one JSON line of what it saw.
"use strict";
const puppeteer = require("puppeteer-core");

async function main() {
  const [base, email] = process.argv.slice(2);
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(base + "/phone", { waitUntil: "load" });
    // The push appears within a refresh or two.
    const card = await page.waitForFunction(
      (who) => [...document.querySelectorAll("#pushes .push")].find((c) => c.textContent.includes(who)),
      { timeout: 10000 }, email);
    const seen = await card.evaluate((c) => ({
      id: c.id, text: c.textContent,
      buttons: [...c.querySelectorAll("button")].map((b) => b.textContent),
    }));
    // The card outlives the next refresh (a click that straddles one is not lost).
    const before = await page.$eval("#status", (e) => e.textContent);
    await page.waitForFunction((t) => document.getElementById("status").textContent !== t,
                               { timeout: 10000 }, before);
    const kept = await card.evaluate((c) => c.isConnected);
    const users = await page.$$eval("#users .card", (cs) => cs.map((c) => c.textContent));
    const code = await page.$eval("#users .code", (e) => e.textContent).catch(() => "");
    await page.click("#approve-" + seen.id.slice("push-".length));
    await page.waitForFunction((id) => !document.getElementById(id), { timeout: 10000 }, seen.id);
    const status = await page.$eval("#status", (e) => e.textContent);
    console.log(JSON.stringify({ push: seen, kept, users, code, status, errors }));
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error(String(e)); process.exit(1); });

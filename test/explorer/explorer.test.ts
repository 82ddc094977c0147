import { expect } from "chai";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { startChainSwarm } from "../helpers/chain-swarm.js";
import { swarmRules } from "../helpers/swarm-rules.js";
import { fixedMind } from "../kit/memory-round.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { closeStarted } from "../helpers/close.js";

const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOT_DIR = path.resolve(".chorus", "screenshots");

describe("explorer page in headless Chromium", function () {
  this.timeout(180_000);
  let swarm: Awaited<ReturnType<typeof startChainSwarm>>;
  let browser: Browser;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      // .ci/run installs Debian's chromium; a developer machine without it skips with this message.
      console.log(`    (skipped: ${CHROMIUM} not found; apt-get install chromium)`);
      this.skip();
    }
    swarm = await startChainSwarm({
      rules: swarmRules,
      minds: (i) => fixedMind(`answer q${i} from node ${i}`, preferHigherQ),
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });
  after(async () => {
    await closeStarted(browser, swarm);
  });

  it("lists the nodes, shows a new round after an ask, opens it verified-able, and saves a screenshot", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(`${swarm.nodes[0].url}/explorer`);
    await page.waitForSelector("#nodes-body tr[data-node]");
    const listed = await page.$$eval("#nodes-body tr[data-node]", (rows) =>
      rows.map((r) => r.getAttribute("data-node")!.toLowerCase()),
    );
    expect(listed.sort()).to.deep.equal(swarm.f.nodes.map((n) => n.address.toLowerCase()).sort());

    const res = await fetch(`${swarm.nodes[0].url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "Tell me a story about a fox." }] }),
    });
    const roundId = ((await res.json()) as { chorus: { round_id: string } }).chorus.round_id;
    await swarm.nodes[0].submitter.flush();
    // The page refreshes every 3 s: the settled round appears without a reload.
    await page.waitForSelector(`#rounds-body tr[data-round="${roundId}"]`, { timeout: 15_000 });
    await page.waitForFunction(
      (id) => document.querySelector(`#rounds-body tr[data-round="${id}"] .pill`)?.textContent === "settled",
      roundId,
      { timeout: 15_000 },
    );
    await page.click(`#rounds-body tr[data-round="${roundId}"]`);
    await page.waitForFunction(() => document.querySelectorAll("#rv-answers tr").length === 7);
    expect(await page.textContent("#rv-question")).to.equal("Tell me a story about a fox.");
    expect(await page.textContent("#rv-answers tr:first-child .answer")).to.equal("answer q6 from node 6");
    await page.waitForFunction(() => !document.querySelector("#rv-audit")!.classList.contains("pending"));
    expect(await page.textContent("#rv-audit")).to.match(/^✔ verified: \d+ checks passed/);
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(SCREENSHOT_DIR, "explorer-round.png");
    await page.screenshot({ path: file, fullPage: true });
    expect(existsSync(file)).to.equal(true);
    expect(errors).to.deep.equal([]);
  });
});

import { expect } from "chai";
import fc from "fast-check";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther, keccak256, toHex } from "viem";
import { deployChorus } from "../kit/fixtures.js";

const CID = keccak256(toHex("meta"));
const MIN = parseEther("100");
const THAW = 3600;

async function fixture() {
  const f = await deployChorus();
  const actors = f.others.slice(0, 4);
  const slasher = f.others[4];
  await f.registry.write.grantRole([await f.registry.read.SLASHER_ROLE(), slasher.account.address]);
  const handles = [];
  for (const w of actors) {
    await f.token.write.transfer([w.account.address, parseEther("5000")]);
    const c = await f.connect(w);
    await c.token.write.approve([f.registry.address, parseEther("5000")]);
    handles.push(c);
  }
  return { ...f, actors, handles, slasher: await f.connect(slasher) };
}

type Op =
  | { kind: "stake" | "add" | "unstake" | "slash"; who: number; amount: bigint }
  | { kind: "withdraw"; who: number }
  | { kind: "wait"; seconds: number };

const amount = fc.bigInt({ min: 0n, max: parseEther("400") });
const who = fc.integer({ min: 0, max: 3 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("stake" as const), who, amount }),
  fc.record({ kind: fc.constant("add" as const), who, amount }),
  fc.record({ kind: fc.constant("unstake" as const), who, amount }),
  fc.record({ kind: fc.constant("slash" as const), who, amount }),
  fc.record({ kind: fc.constant("withdraw" as const), who }),
  fc.record({ kind: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 2 * THAW }) }),
);

async function succeeds(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return true;
  } catch {
    return false;
  }
}

describe("NodeRegistry invariants (property)", () => {
  it("random stake/add/unstake/withdraw/slash sequences keep the books balanced", async function () {
    this.timeout(300_000);
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
        const f = await loadFixture(fixture);
        // The model: what each node holds according to the rules, independent of the contract.
        const model = f.actors.map(() => ({ registered: false, staked: 0n, thawing: 0n, thawEnd: 0 }));
        for (const o of ops) {
          if (o.kind === "wait") {
            await time.increase(o.seconds);
            continue;
          }
          const m = model[o.who];
          const addr = f.actors[o.who].account.address;
          const c = f.handles[o.who];
          const now = (await time.latest()) + 1; // the next block's timestamp
          if (o.kind === "stake") {
            const ok = await succeeds(c.registry.write.stake([o.amount, "http://n", CID]));
            expect(ok).to.equal(!m.registered && o.amount >= MIN);
            if (ok) Object.assign(m, { registered: true, staked: o.amount });
          } else if (o.kind === "add") {
            const ok = await succeeds(c.registry.write.addStake([o.amount]));
            expect(ok).to.equal(m.registered && o.amount > 0n);
            if (ok) m.staked += o.amount;
          } else if (o.kind === "unstake") {
            const ok = await succeeds(c.registry.write.requestUnstake([o.amount]));
            expect(ok).to.equal(m.registered && o.amount > 0n && o.amount <= m.staked);
            if (ok)
              Object.assign(m, { staked: m.staked - o.amount, thawing: m.thawing + o.amount, thawEnd: now + THAW });
          } else if (o.kind === "withdraw") {
            const before = await f.token.read.balanceOf([addr]);
            const ok = await succeeds(c.registry.write.withdraw());
            // No withdrawal before thawing ends.
            expect(ok).to.equal(m.registered && m.thawing > 0n && now >= m.thawEnd);
            if (ok) {
              expect((await f.token.read.balanceOf([addr])) - before).to.equal(m.thawing);
              m.thawing = 0n;
            }
          } else {
            const ok = await succeeds(f.slasher.registry.write.slash([addr, o.amount, "prop", CID]));
            // A slash never takes more than the node has.
            expect(ok).to.equal(m.registered && o.amount > 0n && o.amount <= m.staked + m.thawing);
            if (ok) {
              const fromStaked = o.amount < m.staked ? o.amount : m.staked;
              m.staked -= fromStaked;
              m.thawing -= o.amount - fromStaked;
            }
          }
          // After every step: the registry holds exactly what its nodes have staked and thawing.
          let sum = 0n;
          for (let i = 0; i < f.actors.length; i++) {
            const info = await f.registry.read.nodeInfo([f.actors[i].account.address]);
            expect([info.staked, info.thawing]).to.deep.equal([model[i].staked, model[i].thawing]);
            expect(info.active).to.equal(model[i].registered && model[i].staked >= MIN);
            sum += info.staked + info.thawing;
          }
          expect(await f.token.read.balanceOf([f.registry.address])).to.equal(sum);
          expect(await f.registry.read.totalHeld()).to.equal(sum);
        }
      }),
      { numRuns: 60 },
    );
  });
});

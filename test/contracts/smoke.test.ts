import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "viem";
import { deployChorus } from "../helpers/fixtures.js";
import { expectRevert } from "../helpers/revert.js";

describe("smoke", () => {
  it("deploys and stakes", async () => {
    const f = await loadFixture(deployChorus);
    const [alice] = f.others;
    await f.token.write.transfer([alice.account.address, parseEther("500")]);
    const a = await f.connect(alice);
    await a.token.write.approve([f.registry.address, parseEther("500")]);
    await expectRevert(a.registry.simulate.stake([parseEther("1"), "http://x", "0x" + "00".repeat(32) as `0x${string}`]), "NodeRegistryInsufficientStake", [parseEther("1"), parseEther("100")]);
    await a.registry.write.stake([parseEther("200"), "http://x", ("0x" + "00".repeat(32)) as `0x${string}`]);
    expect(await f.registry.read.isActive([alice.account.address])).to.equal(true);
  });
});

import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "viem";
import { deployChorus } from "../kit/fixtures.js";
import { expectRevert } from "../helpers/revert.js";

describe("ChorusToken", () => {
  it("mint: the deployer (MINTER_ROLE) mints, the initial devnet supply is in place", async () => {
    const f = await loadFixture(deployChorus);
    expect(await f.token.read.balanceOf([f.deployer.account.address])).to.equal(parseEther("1000000"));
    await f.token.write.mint([f.others[0].account.address, 5n]);
    expect(await f.token.read.balanceOf([f.others[0].account.address])).to.equal(5n);
    expect(await f.token.read.symbol()).to.equal("CHR");
  });

  it("mint: reverts for an account without MINTER_ROLE", async () => {
    const f = await loadFixture(deployChorus);
    const c = await f.connect(f.others[0]);
    const role = await f.token.read.MINTER_ROLE();
    await expectRevert(c.token.simulate.mint([f.others[0].account.address, 1n]), "AccessControlUnauthorizedAccount", [
      f.others[0].account.address,
      role,
    ]);
  });
});

/**
 * Child process of the CID-determinism test: builds the same artifact with its keys inserted in an order
 * chosen by argv[2] and prints its CID, its bytes32, and the CID of a raw block.
 */
import { cidOfJson, cidToBytes32, rawBlock } from "../../../src/ipfs/index.js";

const order = Number(process.argv[2] ?? 0);
const entries: [string, unknown][] = [
  ["kind", "transcript"],
  ["roundId", "0x00000000000000000000000000000000000000000000000000000000000000aa"],
  [
    "answers",
    [
      { node: "0x01", text: "Rayleigh scattering." },
      { node: "0x02", text: "¿Por qué? 空" },
    ],
  ],
  ["stake", "1000000000000000000000"],
  ["createdAt", 1_732_000_000_000],
  ["ok", true],
  ["none", null],
];
const rotated = entries.slice(order % entries.length).concat(entries.slice(0, order % entries.length));
if (order % 2 === 1) rotated.reverse();
const doc = Object.fromEntries(rotated);
const cid = await cidOfJson(doc);
const raw = await rawBlock(new TextEncoder().encode("chorus raw block"));
process.stdout.write(JSON.stringify({ cid: cid.toString(), bytes32: cidToBytes32(cid), raw: raw.cid.toString() }));

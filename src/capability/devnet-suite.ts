/**
 * The devnet's calibration suite: 256 pairwise items (20 general-knowledge facts, then sums), each a question
 * with one right and one wrong answer; 256 items because CapabilityRegistry refuses suites small enough to
 * guess (201 of 256 is the lowest bar it takes). `buildDevnetSuite(seed)` places the right answer first or
 * second by a seeded coin, so the key is not guessable from the order; it returns the document (published on
 * IPFS) and the key bitmap.
 */
import { createHash } from "node:crypto";
import type { SuiteDocument } from "./calibrate.js";

const FACTS: [string, string, string][] = [
  ["What is 7 + 5?", "12", "13"],
  ["What is the capital of France?", "Paris", "Marseille"],
  ["How many legs does a spider have?", "Eight", "Six"],
  ["What gas do plants take in for photosynthesis?", "Carbon dioxide", "Oxygen"],
  ["What is 9 x 6?", "54", "56"],
  ["Which planet is closest to the Sun?", "Mercury", "Venus"],
  ["What is the boiling point of water at sea level in Celsius?", "100 degrees", "90 degrees"],
  ["Who wrote 'Romeo and Juliet'?", "William Shakespeare", "Charles Dickens"],
  ["What is the largest ocean on Earth?", "The Pacific Ocean", "The Atlantic Ocean"],
  ["How many days are in a leap year?", "366", "365"],
  ["What is the chemical symbol for gold?", "Au", "Ag"],
  ["What is the square root of 81?", "9", "8"],
  ["Which continent is Kenya in?", "Africa", "Asia"],
  ["What color do you get by mixing blue and yellow?", "Green", "Purple"],
  ["How many minutes are in an hour?", "60", "100"],
  ["What is the freezing point of water in Celsius?", "0 degrees", "10 degrees"],
  ["Which animal is known as the king of the jungle?", "The lion", "The zebra"],
  ["What is 15 - 8?", "7", "6"],
  ["What do bees make?", "Honey", "Milk"],
  ["How many sides does a triangle have?", "Three", "Four"],
];

/** The devnet suite's size. */
export const DEVNET_SUITE_ITEMS = 256;

function sums(): [string, string, string][] {
  const out: [string, string, string][] = [];
  for (let i = 0; out.length < DEVNET_SUITE_ITEMS - FACTS.length; i++) {
    const a = 11 + ((i * 37) % 89);
    const b = 3 + ((i * 53) % 97);
    out.push([`What is ${a} + ${b}?`, String(a + b), String(a + b + 1 + (i % 9))]);
  }
  return out;
}

export function buildDevnetSuite(seed: string): { suite: SuiteDocument; key: bigint } {
  let key = 0n;
  const items = [...FACTS, ...sums()].map(([question, right, wrong], i) => {
    const second = createHash("sha256").update(`${seed}:${i}`).digest()[0] & 1;
    if (second) key |= 1n << BigInt(i);
    return second ? { question, answerA: wrong, answerB: right } : { question, answerA: right, answerB: wrong };
  });
  return { suite: { type: "chorus/calibration-suite@1", title: "Chorus devnet calibration", items }, key };
}

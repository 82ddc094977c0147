import { SeededRandom, type Judgment } from "../../src/consensus/index.js";
import { isChorusError } from "../../src/core/index.js";

/** n distinct lower-case 0x addresses, ascending. */
export const ids = (n: number, prefix = ""): string[] =>
  Array.from({ length: n }, (_, i) => `0x${prefix}${(i + 1).toString(16).padStart(40 - prefix.length, "0")}`);

/** A uniform double in [0, 1) from the seeded stream. */
export const unit = (rng: SeededRandom): number => rng.nextUint32() / 2 ** 32;

/**
 * Judgments drawn from a true Bradley–Terry model: every ordered pair of answers is judged `perPair` times, each
 * time by a distinct judge (ids with prefix "j"); P(first shown wins) = s_a / (s_a + s_b).
 */
export function btJudgments(
  answers: readonly string[],
  strengths: readonly number[],
  perPair: number,
  seed: string,
): Judgment[] {
  const rng = new SeededRandom(seed);
  const out: Judgment[] = [];
  let k = 0;
  for (let i = 0; i < answers.length; i++)
    for (let j = 0; j < answers.length; j++) {
      if (i === j) continue;
      for (let r = 0; r < perPair; r++) {
        const pA = strengths[i] / (strengths[i] + strengths[j]);
        out.push({
          judge: `0xj${(k++).toString(16).padStart(39, "0")}`,
          a: answers[i],
          b: answers[j],
          outcome: unit(rng) < pA ? "A" : "B",
        });
      }
    }
  return out;
}

/** The judges of a list of judgments, each once, sorted. */
export const judgesOf = (js: readonly Judgment[]): string[] => [...new Set(js.map((j) => j.judge))].sort();

/** The ChorusError code `fn` throws, "untyped" for any other error, "accepted" when it does not throw. */
export function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isChorusError(e) ? e.code : "untyped";
  }
  return "accepted";
}

/** Every double of a result as its exact bits (hex), so that "equal" means equal bit for bit. */
export function bits(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v !== "number") return v;
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return b.toString("hex");
  });
}

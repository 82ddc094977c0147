/**
 * Addresses: one normalised form (lowercase 0x + 40 hex) for keys and comparisons, and one order (increasing
 * numeric value, which is the order the contracts require for participants, sources and epoch tables). Every
 * comparison or sort of addresses in src/ goes through `sameAddress` / `compareAddress`.
 */
import type { Address } from "viem";

/** An address in its one normalised form: lowercase hex. Made only by `normAddress`. */
export type NormAddress = Lowercase<Address> & { readonly __normalised: unique symbol };

/** `a` in the normalised (lowercase) form, for map keys and set members. */
export function normAddress(a: string): NormAddress {
  return a.toLowerCase() as NormAddress;
}

/** True when `a` and `b` name the same address, whatever their case. */
export function sameAddress(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

/**
 * Orders two addresses (or any two equal-width hex words, such as round ids) by increasing numeric value:
 * the order of the contracts' sorted tables. Usable directly as an `Array.prototype.sort` comparator.
 */
export function compareAddress(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

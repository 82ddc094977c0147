/**
 * The CapabilityRegistry's pass rule: a pass replaces a node's current one only if it lasts longer, and a
 * fail never revokes a valid pass (CapabilityRegistry.reveal). Pure (no host imports).
 */

/** True when a graded attempt (`passed`, expiring at `validUntil`) becomes the node's current pass. */
export function replacesPass(passed: bool, validUntil: u64, currentUntil: u64): bool {
  return passed && validUntil > currentUntil;
}

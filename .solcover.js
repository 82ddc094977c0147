// solidity-coverage settings. Every contract and library is instrumented, EpochCodec included (its Yul
// variable once named `after` crashed the parser; it was renamed, so the old skip is gone).
module.exports = { skipFiles: [] };

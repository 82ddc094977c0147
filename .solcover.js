// solidity-coverage's parser (@solidity-parser) cannot read the assembly functions of EpochCodec (a calldata
// decoder); it is compiled as usual and exercised by the settlement tests, just not instrumented.
module.exports = { skipFiles: ["libraries/EpochCodec.sol"] };

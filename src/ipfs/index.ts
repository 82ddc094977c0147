/**
 * Chorus artifact storage on IPFS: every artifact (query, answers, transcripts, calibration suites, corpora)
 * is content-addressed: dag-json for structured data, raw blocks and UnixFS files (any size) for bytes,
 * every block verified on every read.
 * See README.md in this folder.
 */
export type { ArtifactStore, GetOptions, PinOptions, PutOptions, StoreKind } from "./types.js";
export { IPFS_ERRORS, type IpfsErrorCode } from "../core/index.js";
export { CODEC, HASH, SUPPORTED_CODECS, bytes32ToCid, cidToBytes32, codecName, parseCid } from "../core/index.js";
export {
  DEFAULT_MAX_BYTES,
  cidOfJson,
  decodeJson,
  encodeJson,
  jsonBlock,
  rawBlock,
  verifyBlock,
  type Block,
} from "../core/index.js";
export { assertJsonLike, type JsonLike } from "../core/index.js";
export { linksOf } from "./dag.js";
export { encodeCar, readCarVerified } from "./car.js";
export { gatewayRouter } from "./gateway.js";
export { createMemoryStore } from "./memory.js";
export { openHeliaStore, type HeliaArtifactStore, type HeliaNetworkOptions, type HeliaStoreOptions } from "./helia.js";
export { openKuboStore, type KuboStoreOptions } from "./kubo.js";
export { openArtifactStore, type IpfsConfig } from "./open.js";
export { openRemotePinner, type RemotePinConfig, type RemotePinner } from "./remote-pin.js";
export { FILE_CHUNK_BYTES, FILE_MAX_LINKS } from "./files.js";
export { checkAnnounce, checkListen } from "./libp2p-config.js";
export { roundArtifacts, type RoundArtifacts } from "./round-port.js";
export type { StoreOptions } from "./store.js";
export { CID } from "multiformats/cid";

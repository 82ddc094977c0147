export { loadConfig, type LoadConfigOptions } from "./load.js";
export { ConfigSchema, DEVNET_RPC_URL, ENV_KEYS, type ChorusConfig } from "./schema.js";

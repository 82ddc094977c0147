/**
 * A node's state database (SQLite, WAL, numbered migrations) and its rules for damaged state: damaged databases
 * are moved aside and salvaged, damaged rows and legacy files are quarantined with a log line naming them.
 */
export { checksum, StateDb, type StateLog, type StateOpenReport } from "./db.js";
export { markMigrated, readLegacyText } from "./legacy.js";
export { MIGRATIONS, type Migration } from "./migrations.js";

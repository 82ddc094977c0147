/**
 * The numbered schema migrations of a node's state database. Each runs once, in order, in its own transaction
 * that also sets `PRAGMA user_version` to its number and records it in `schema_migrations`. Append new ones;
 * never edit or renumber one that shipped.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "settlement queue, round index, member rounds, quarantine",
    sql: `
      CREATE TABLE settlement (
        round_id   TEXT PRIMARY KEY NOT NULL CHECK (length(round_id) = 66),
        status     TEXT NOT NULL CHECK (status IN ('pending', 'settled', 'failed')),
        queued_at  INTEGER NOT NULL,
        record     TEXT,
        sum        TEXT,
        settled_at INTEGER,
        tx_hash    TEXT,
        epoch      INTEGER,
        failed_at  INTEGER,
        reason     TEXT
      );
      CREATE INDEX settlement_by_status ON settlement (status, queued_at, round_id);
      CREATE INDEX settlement_settled_at ON settlement (settled_at) WHERE status = 'settled';

      CREATE TABLE rounds (
        n          INTEGER PRIMARY KEY,
        round_id   TEXT NOT NULL UNIQUE,
        added_at   INTEGER NOT NULL,
        summary    TEXT NOT NULL,
        sum        TEXT NOT NULL
      );
      CREATE INDEX rounds_added_at ON rounds (added_at);

      CREATE TABLE member_rounds (
        round_id    TEXT NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('a', 's')),
        coordinator TEXT NOT NULL,
        sum         TEXT NOT NULL,
        PRIMARY KEY (round_id, kind)
      ) WITHOUT ROWID;
      CREATE INDEX member_rounds_coordinator ON member_rounds (coordinator, round_id);

      CREATE TABLE quarantine (
        n       INTEGER PRIMARY KEY,
        at      INTEGER NOT NULL,
        source  TEXT NOT NULL,
        key     TEXT NOT NULL,
        reason  TEXT NOT NULL,
        content BLOB
      );
    `,
  },
];

/** The tables a salvage copies from a damaged database (in this order), with the columns that identify a row. */
export const SALVAGE_TABLES: readonly { table: string; order: string }[] = [
  { table: "settlement", order: "rowid" },
  { table: "rounds", order: "n" },
  { table: "member_rounds", order: "round_id, kind" },
  { table: "quarantine", order: "n" },
];

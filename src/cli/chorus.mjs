#!/usr/bin/env node
// Entry point of the `chorus` command (`npx chorus ...`): loads the TypeScript sources through tsx.
import { register } from "tsx/esm/api";

// A closed pipe (`chorus nodes | head`) ends the command quietly, never with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}
register();
const { main } = await import("./main.js");
process.exitCode = await main(process.argv);

#!/usr/bin/env node
// Entry point of the `chorus` command (`npx chorus ...`): loads the TypeScript sources through tsx.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.js");
process.exitCode = await main(process.argv);

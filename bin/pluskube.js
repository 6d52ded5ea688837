#!/usr/bin/env node
// The `pluskube` command: runs the CLI's TypeScript sources through tsx, as `npm start` runs the
// service, so an install needs no build step.
import { register } from "tsx/esm/api";

register();
await import("../cli/main.ts");

/**
 * Setup file of the integration project: after each test file, the test namespaces it created
 * and left behind are reported and deleted, waiting until they are gone. A leftover project's
 * pods keep their CPU requests on the real node, and the files after it (which the node has room
 * for only when the zone is clean) would fail for a reason that is not theirs. A file's own
 * cleanup is still its job: the report names the file, so that the leak gets fixed where it is.
 */
import { afterAll, beforeAll, expect } from "vitest";
import { deleteNamespaces, testNamespaces } from "./test-namespaces.js";

let before: Set<string> | undefined;
let file = "a test file";

beforeAll(async () => {
  file = expect.getState().testPath ?? file;
  const names = await testNamespaces();
  before = names ? new Set(names) : undefined;
});

afterAll(async () => {
  if (!before) return;
  const left = ((await testNamespaces()) ?? []).filter((name) => !before?.has(name));
  if (left.length === 0) return;
  console.warn(`[namespace guard] ${file} left ${left.join(", ")} behind; deleting them`);
  await deleteNamespaces(left);
}, 300_000);

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { KubeObject } from "../../../localzone/ingress/objects.js";
import { Reflector } from "../../../localzone/ingress/reflector.js";
import { FakeApi, until } from "./fake-api.js";

const PATH = "/api/v1/services";

function object(name: string, extra: Record<string, unknown> = {}): KubeObject {
  return { metadata: { name, namespace: "ns", ...extra } };
}

describe("Reflector", () => {
  let stop: AbortController;
  beforeEach(() => {
    stop = new AbortController();
  });
  afterEach(() => stop.abort());

  function start(api: FakeApi) {
    const logs: string[] = [];
    let changes = 0;
    const reflector = new Reflector<KubeObject>(api, {
      path: PATH,
      onChange: () => (changes += 1),
      log: (line) => logs.push(line),
      backoffMs: 5,
    });
    void reflector.run(stop.signal);
    return { reflector, logs, changes: () => changes };
  }

  const names = (r: Reflector<KubeObject>): string[] =>
    r
      .values()
      .map((o) => o.metadata.name)
      .sort();

  it("lists, then watches from the list's resourceVersion", async () => {
    const api = new FakeApi();
    api.put(PATH, object("a"));
    const listedAt = api.version;

    const { reflector, changes } = start(api);
    await until(() => api.watching(PATH));

    expect(reflector.synced).toBe(true);
    expect(names(reflector)).toEqual(["a"]);
    expect(changes()).toBe(1);
    expect(api.calls).toEqual([`list ${PATH}`, `watch ${PATH} from ${listedAt}`]);
  });

  it("applies added, modified and deleted objects, telling on each", async () => {
    const api = new FakeApi();
    const { reflector, changes } = start(api);
    await until(() => api.watching(PATH));

    api.put(PATH, object("a"));
    api.put(PATH, object("b"));
    api.put(PATH, object("a", { labels: { v: "2" } }), "MODIFIED");
    api.remove(PATH, "ns", "b");

    expect(names(reflector)).toEqual(["a"]);
    expect(reflector.values()[0]?.metadata.labels).toEqual({ v: "2" });
    expect(changes()).toBe(5);
  });

  it("resumes a watch the server ended from the last version seen, bookmarks included, without listing", async () => {
    const api = new FakeApi();
    const { reflector } = start(api);
    await until(() => api.watching(PATH));
    api.put(PATH, object("a"));
    api.put(PATH, object("other-kind-moved-the-revision-on"));
    api.remove(PATH, "ns", "other-kind-moved-the-revision-on");
    api.bookmark(PATH);
    const bookmarked = api.version;

    api.endWatches(PATH);
    await until(() => api.calls.length === 3);

    expect(api.calls[2]).toBe(`watch ${PATH} from ${bookmarked}`);
    expect(reflector.lists).toBe(1);
    expect(names(reflector)).toEqual(["a"]);
  });

  it("lists again after a 410 Gone event and drops what was deleted meanwhile", async () => {
    const api = new FakeApi();
    api.put(PATH, object("a"));
    api.put(PATH, object("b"));
    const { reflector, logs } = start(api);
    await until(() => api.watching(PATH));

    // Changes the reflector never hears of, then the server says its version is too old.
    api.remove(PATH, "ns", "b", true);
    api.put(PATH, object("c"), "ADDED", true);
    api.endWatches(PATH, { type: "ERROR", object: { code: 410, message: "too old resource version" } });
    await until(() => reflector.lists === 2 && api.watching(PATH));

    expect(names(reflector)).toEqual(["a", "c"]);
    expect(logs.some((l) => l.includes("is gone; listing again"))).toBe(true);
  });

  it("lists again when a new watch is answered 410 Gone", async () => {
    const api = new FakeApi();
    api.put(PATH, object("a"));
    const { reflector } = start(api);
    await until(() => api.watching(PATH));

    // The connection drops, events are lost meanwhile, and the version is compacted away.
    api.remove(PATH, "ns", "a", true);
    api.put(PATH, object("c"), "ADDED", true);
    api.oldestVersion = Number(api.version);
    api.endWatches(PATH);
    await until(() => reflector.lists === 2 && api.watching(PATH));

    expect(api.calls.filter((c) => c.startsWith("list"))).toHaveLength(2);
    expect(names(reflector)).toEqual(["c"]);
  });

  it("logs an ERROR event other than 410 and watches again from the same version", async () => {
    const api = new FakeApi();
    const { reflector, logs } = start(api);
    await until(() => api.watching(PATH));
    const version = api.version;

    api.endWatches(PATH, { type: "ERROR", object: { code: 500, message: "internal error" } });
    await until(() => api.calls.length === 3);

    expect(logs).toContain(`watch ${PATH}: internal error`);
    expect(api.calls[2]).toBe(`watch ${PATH} from ${version}`);
    expect(reflector.lists).toBe(1);
  });

  it("keeps no managedFields", async () => {
    const api = new FakeApi();
    api.put(PATH, object("a", { managedFields: [{ manager: "kubectl" }] }));

    const { reflector } = start(api);
    await until(() => reflector.synced);

    expect(reflector.values()[0]?.metadata).not.toHaveProperty("managedFields");
  });
});

import { describe, expect, it } from "vitest";
import { dockerConfigJson } from "../../stacks/project/registry-credentials.js";

describe("dockerConfigJson", () => {
  it("gives each registry its username, password and the basic auth the kubelet sends", () => {
    const config = JSON.parse(
      dockerConfigJson([
        { server: "ghcr.io", username: "ana", password: "p:w" },
        { server: "registry.example.org:5000", username: "ci", password: "x" },
      ]),
    ) as { auths: Record<string, { username: string; password: string; auth: string }> };

    expect(Object.keys(config.auths)).toEqual(["ghcr.io", "registry.example.org:5000"]);
    expect(config.auths["ghcr.io"]).toEqual({
      username: "ana",
      password: "p:w",
      auth: Buffer.from("ana:p:w").toString("base64"),
    });
  });
});

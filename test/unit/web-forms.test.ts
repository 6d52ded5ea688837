import { describe, expect, it } from "vitest";
import { AppSpecSchema } from "../../spec/items.js";
import { ApiError } from "../../web/src/api.js";
import { byField, EMPTY, formOf, specOf, type AppForm } from "../../web/src/app-spec.js";
import { apiIssues, refusalText, zodIssues } from "../../web/src/problems.js";

const form = (change: Partial<AppForm>): AppForm => ({
  ...EMPTY,
  name: "web",
  image: "nginx:1.27",
  ...change,
});

/** The field errors the deploy form shows for what was typed, judged by the API's schema. */
function fieldErrors(typed: AppForm): Record<string, string> {
  const checked = AppSpecSchema.safeParse(specOf(typed));
  return checked.success ? {} : byField(zodIssues(checked.error));
}

describe("the deploy form's checks", () => {
  it("accepts a plain app", () => {
    expect(fieldErrors(form({}))).toEqual({});
  });

  it.each([
    ["cpu", { sizing: "resources", cpu: "-1" }],
    ["memory", { sizing: "resources", memory: "lots" }],
    ["replicas", { replicas: "many" }],
    ["replicas", { replicas: "51" }],
    ["port", { port: "70000" }],
    ["image", { image: "Not An Image" }],
    ["probePath", { probePath: "healthz" }],
    ["volumes", { volumes: "data:relative/path" }],
  ] as const)("names the %s field for %j", (field, change) => {
    expect(Object.keys(fieldErrors(form(change)))).toContain(field);
  });

  it("reads environment lines as NAME=value, keeping '=' inside values", () => {
    expect(specOf(form({ env: "A=1\nURL=postgres://x?a=b\n\n" }))["env"]).toEqual({
      A: "1",
      URL: "postgres://x?a=b",
    });
  });

  it("gives back the form it was filled from", () => {
    const typed = form({
      sizing: "resources",
      cpu: "500m",
      memory: "1Gi",
      env: "A=1",
      volumes: "data:/data",
      probePath: "/healthz",
      command: "serve --port 8080",
    });

    const parsed = AppSpecSchema.parse(specOf(typed));

    expect(formOf(parsed as unknown as Record<string, unknown>)).toMatchObject(typed);
  });
});

describe("the service's refusals in the form", () => {
  it("put each field the problem names next to that field", () => {
    const error = new ApiError(400, {
      detail: "cpu: bad",
      errors: [{ path: "cpu", message: "must be a positive quantity such as 250m or 1" }],
    });

    expect(apiIssues(error)["cpu"]).toBe("must be a positive quantity such as 250m or 1");
  });

  it("say what a quota refusal asked, what is free and what to do", () => {
    const error = new ApiError(409, {
      type: "urn:pluskube:problem:quota-exceeded",
      detail: "over",
      zone: "local",
      exceeded: ["chunks"],
      used: { chunks: 3 },
      share: { chunks: 12 },
      asked: { chunks: 64 },
    });

    expect(refusalText(error)).toBe(
      "Over your fair share of zone local. chunks: asked 64 more, 9 free of your share of 12. Ask for less (fewer replicas or smaller sizes), or shrink or delete something else first.",
    );
  });
});

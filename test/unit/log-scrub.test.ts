import { describe, expect, it } from "vitest";
import { loggerSettingsFromEnv } from "../../automation-api/observability/log.js";
import { REDACTED, scrubLogValue } from "../../automation-api/observability/scrub.js";

const none = new Set<string>();

describe("scrubLogValue", () => {
  it.each([
    [
      "a service token",
      "token pk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdefg used",
      `token ${REDACTED} used`,
    ],
    [
      "a bearer header quoted",
      "sent Authorization: Bearer abc.def.ghi",
      `sent Authorization: Bearer ${REDACTED}`,
    ],
    ["a basic header quoted", "Basic YW5hOnNlY3JldA== refused", `Basic ${REDACTED} refused`],
    [
      "a connection URL's password",
      "connecting to postgres://pluskube:hunter2@10.0.0.1:5432/db",
      `connecting to postgres://pluskube:${REDACTED}@10.0.0.1:5432/db`,
    ],
    ["a password= pair", "dsn host=db password=hunter2 user=x", `dsn host=db password=${REDACTED} user=x`],
    ["a JSON secret pair", '{"secret": "hunter2"}', `{"secret": "${REDACTED}"}`],
  ])("blanks %s in text", (_what, text, expected) => {
    expect(scrubLogValue(text, none)).toBe(expected);
  });

  it("keeps ordinary text as it is", () => {
    const text = 'stack shop.testzone run 42 failed: password authentication failed for user "x"';

    expect(scrubLogValue(text, none)).toBe(text);
  });

  it("blanks credential-named keys at any depth, keeping the rest", () => {
    const line = {
      headers: { authorization: "Bearer x", cookie: "a=b", "content-type": "application/json" },
      nested: [{ password: "p", registryAccessKey: "k", tokenId: "t-1", name: "web" }],
    };

    expect(scrubLogValue(line, none)).toEqual({
      headers: { authorization: REDACTED, cookie: REDACTED, "content-type": "application/json" },
      nested: [{ password: REDACTED, registryAccessKey: REDACTED, tokenId: "t-1", name: "web" }],
    });
  });

  it("blanks the listed secret values wherever they appear", () => {
    expect(
      scrubLogValue({ message: "env API_KEY=opaque-value-1 in pod" }, new Set(["opaque-value-1"])),
    ).toEqual({
      message: `env API_KEY=${REDACTED} in pod`,
    });
  });
});

describe("loggerSettingsFromEnv", () => {
  it("reads LOG_LEVEL and LOG_FORMAT", () => {
    expect(loggerSettingsFromEnv({ LOG_LEVEL: "Debug", LOG_FORMAT: "pretty" })).toEqual({
      level: "debug",
      format: "pretty",
    });
  });

  it("refuses a level it does not know", () => {
    expect(() => loggerSettingsFromEnv({ LOG_LEVEL: "verbose" })).toThrow(/LOG_LEVEL must be one of/);
  });
});

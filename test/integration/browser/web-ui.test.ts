/// <reference lib="dom" />
/**
 * The web UI in Debian's Chromium against the service on the local zone, with the real engine
 * and the real node: a member signs in, makes a project, is told inline about a bad cpu value
 * and a quota refusal, deploys an app and watches it reach its URL, reads its status, logs and
 * last hour of CPU and memory, makes and revokes a project token, and signs out. axe-core checks
 * every page.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localImage } from "../../../localzone/images.js";
import { localZone } from "../../../localzone/zone.js";
import { MemberService, SETTLE_MS } from "../helpers/member-service.js";
import { uniqueProject } from "../helpers/project-stack.js";
import { answerJson } from "../helpers/real-node.js";
import { ensureWebBuilt, launchChromium, screenshot, seriousViolations } from "./browser.js";

const project = uniqueProject("it-web");
let member: MemberService;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let appUrl = "";
const policyViolations: string[] = [];

beforeAll(async () => {
  ensureWebBuilt();
  // Samples every 5 s rather than every minute, so that the app page's chart has a past.
  member = await MemberService.start("it-web-user", localZone(), {}, { usageSampleSeconds: 5 });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  page = await context.newPage();
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) policyViolations.push(message.text());
  });
  page.on("dialog", (dialog) => void dialog.accept());
}, SETTLE_MS);

afterAll(async () => {
  await browser?.close();
  await member?.close([project]);
}, SETTLE_MS);

async function expectAccessible(name: string): Promise<void> {
  const violations = await seriousViolations(page);
  expect(violations, `${name}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
  expect(policyViolations, "the page broke its own Content Security Policy").toEqual([]);
}

describe("the web UI in a browser", () => {
  it("signs in with a token, which the page never keeps, and shows the member's zones as bars", async () => {
    await page.goto(member.service.url);
    await expectAccessible("sign-in page");
    await screenshot(page, "sign-in");

    await page.getByLabel("Token").fill(member.token);
    await page.getByRole("button", { name: "Sign in" }).click();

    await expect.poll(() => page.getByRole("heading", { name: "Your zones and projects" }).count()).toBe(1);
    await expect.poll(() => page.getByRole("meter", { name: "Compute" }).count()).toBe(1);
    const cookies = await context.cookies();
    expect(cookies.find((cookie) => cookie.name === "pluskube_session")).toMatchObject({
      httpOnly: true,
      sameSite: "Strict",
    });
    const stored = await page.evaluate(
      () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
    );
    expect(stored).not.toContain(member.token);
    await expectAccessible("home page");
    await screenshot(page, "home");
  }, 60_000);

  it("refuses a change made with the cookie but without the CSRF token", async () => {
    const status = await page.evaluate(async (name) => {
      const response = await fetch(`/v1/projects/${name}`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ zone: "local" }),
      });
      return response.status;
    }, project);

    expect(status).toBe(403);
  });

  it(
    "creates a project and follows its operation to the end",
    async () => {
      await page.getByLabel("Name").fill(project);
      await page.getByRole("button", { name: "Create project" }).click();

      await page.getByText("succeeded", { exact: true }).waitFor({ timeout: SETTLE_MS });
      await expectAccessible("operation page");
      await page.getByRole("link", { name: project }).first().click();
      await page.getByRole("heading", { name: project, level: 1 }).waitFor();
      await expectAccessible("project page");
    },
    SETTLE_MS,
  );

  it("shows a bad cpu value next to the cpu field, from the API's own schema", async () => {
    await page.getByRole("link", { name: "Deploy an app" }).click();
    await page.getByLabel("Name").fill("web");
    await page.getByLabel("Image").fill(localImage("echo").ref);
    await page.getByLabel("CPU, memory and disk").check();
    await page.getByLabel("CPU", { exact: true }).fill("-1");
    await page.getByRole("button", { name: "Deploy" }).click();

    const error = page.locator("#cpu-error");
    await error.waitFor();
    expect(await error.textContent()).toMatch(/cpu|quantity|250m/i);
    expect(await page.getByLabel("CPU", { exact: true }).getAttribute("aria-invalid")).toBe("true");
    await expectAccessible("deploy form with errors");
  });

  it("says what a quota refusal asked, what is free and what to do", async () => {
    await page.getByLabel("Chunks", { exact: true }).check();
    await page.locator("#chunks").fill("64");
    await page.getByLabel("Replicas").fill("50");
    await page.getByRole("button", { name: "Deploy" }).click();

    const alert = page.getByRole("alert");
    await alert.filter({ hasText: "fair share" }).waitFor();
    expect(await alert.first().textContent()).toMatch(/asked \d+ more, \d+ free .*Ask for less/);
    await screenshot(page, "deploy-form-quota");
  });

  it(
    "deploys an app and watches it reach its URL",
    async () => {
      await page.locator("#chunks").fill("1");
      await page.getByLabel("Replicas").fill("1");
      await page.getByLabel("Health check path").fill("/healthz");
      await page.getByRole("button", { name: "Deploy" }).click();

      const link = page.getByTestId("app-url");
      await link.waitFor({ timeout: SETTLE_MS });
      await screenshot(page, "operation");
      const url = (await link.getAttribute("href")) ?? "";
      expect(url).toMatch(/^https?:\/\//);
      await answerJson(url, "/healthz");
      appUrl = url;
    },
    SETTLE_MS,
  );

  it("shows the app's status, events and logs", async () => {
    await page.getByRole("link", { name: "web", exact: true }).click();
    await page.getByRole("heading", { name: "web", level: 1 }).waitFor();

    await expect
      .poll(() => page.getByTestId("replicas").textContent(), { timeout: 120_000 })
      .toMatch(/1 of 1 replicas ready/);
    // Lines the app writes while the page follows its log arrive in the page.
    await answerJson(appUrl, "/log?lines=3");
    await expect
      .poll(() => page.getByTestId("logs").textContent(), { timeout: 60_000 })
      .toContain("echo log line 3 of 3");
    await page.getByTestId("usage-chart").waitFor({ timeout: 60_000 });
    await expect
      .poll(() => page.getByRole("img", { name: /^CPU over the last \d+ (s|min):/ }).count(), {
        timeout: 60_000,
      })
      .toBe(1);
    await expectAccessible("app page");
    await screenshot(page, "app");

    // On a phone: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await expectAccessible("app page on a phone");
    await screenshot(page, "phone");
    await page.setViewportSize({ width: 1200, height: 900 });
  }, 200_000);

  it("creates a project token, shows it once, and revokes it", async () => {
    await page.getByRole("link", { name: project }).click();
    await page.getByLabel("Token name").fill("ci");
    await page.getByRole("button", { name: "Create token" }).click();

    const shown = page.getByTestId("new-token");
    await shown.waitFor();
    expect(await shown.textContent()).toMatch(/^pk_/);
    await expectAccessible("project page with a new token");
    await screenshot(page, "project");

    await page.getByRole("button", { name: "Revoke ci" }).click();
    await expect.poll(() => page.getByRole("button", { name: "Revoke ci" }).count()).toBe(0);
  });

  it("signs out, and the cookie signs nobody in any more", async () => {
    const cookie = (await context.cookies()).find((c) => c.name === "pluskube_session");
    await page.getByRole("button", { name: "Sign out" }).click();

    await page.getByRole("heading", { name: "Sign in to pluskube" }).waitFor();
    const response = await fetch(`${member.service.url}/v1/me`, {
      headers: { cookie: `pluskube_session=${cookie?.value ?? ""}` },
    });
    expect(response.status).toBe(401);
  });
});

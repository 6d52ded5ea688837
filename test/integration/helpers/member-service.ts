import { expect } from "vitest";
import { kubeClusters } from "../../../automation-api/cluster/kube-clusters.js";
import type { ZoneSpec } from "../../../spec/zone.js";
import { TestService, type ServiceOptions } from "../../service/harness.js";
import {
  CountingRunner,
  dropLocalServiceDatabase,
  localServiceDatabase,
  realRunner,
} from "../service-helpers.js";

export const SETTLE_MS = 600_000;

type Operation = { id: string; status: string; message: string | null };

/**
 * The service as `npm start` runs it (the real runner, the zone's cluster and PostgreSQL) with
 * one member signed in: for tests that act as a member through the API.
 */
export class MemberService {
  private constructor(
    readonly service: TestService<CountingRunner>,
    readonly token: string,
  ) {}

  /** `jobs` adds to the job queue's settings (e.g. turns the reconciler on), `app` to the app's. */
  static async start(
    member: string,
    zone: ZoneSpec,
    jobs: ServiceOptions<CountingRunner>["jobs"] = {},
    app: ServiceOptions<CountingRunner>["app"] = {},
  ): Promise<MemberService> {
    const service = await TestService.start({
      databaseUrl: await localServiceDatabase(),
      zones: [zone],
      runner: new CountingRunner(await realRunner()),
      clusters: kubeClusters(),
      jobs: { retryDelaySeconds: 2, ...jobs },
      app: { rateLimit: { limit: 1_000_000 }, ...app },
    });
    return new MemberService(service, await service.user(member));
  }

  /** PUTs a change and waits for its operation to succeed. */
  async apply(path: string, body: unknown): Promise<void> {
    const response = await this.service.put<Operation>(path, this.token, body);
    expect(response.status, response.text).toBe(202);
    const operation = await this.service.settle(this.token, response.body.id, SETTLE_MS);
    expect(operation["message"]).toBeNull();
    expect(operation["status"]).toBe("succeeded");
  }

  /** An app's URL, as the API reports it. */
  async appUrl(project: string, app: string): Promise<string> {
    const response = await this.service.get<{ outputs?: { url?: string } }>(
      `/v1/projects/${project}/apps/${app}`,
      this.token,
    );
    const url = response.body.outputs?.url;
    if (!url) throw new Error(`app ${project}/${app} has no URL: ${response.text}`);
    return url;
  }

  get<T>(path: string) {
    return this.service.get<T>(path, this.token);
  }

  /** Deletes the projects and the service's database. */
  async close(projects: readonly string[]): Promise<void> {
    for (const project of projects) {
      const deleted = await this.service.delete<Operation>(`/v1/projects/${project}`, this.token);
      if (deleted.status === 202) await this.service.settle(this.token, deleted.body.id, SETTLE_MS);
    }
    await this.service.close();
    await dropLocalServiceDatabase(this.service.databaseUrl);
  }
}

import type { ZoneDatastores } from "../../../automation-api/datastores/datastores.js";
import { FakeClusters } from "../fake-clusters.js";
import type { FakeNamespace } from "../fake-namespace.js";
import { TestService, type ServiceOptions } from "../harness.js";

type Created = { id: string; token: string };

/**
 * A service on fake clusters with one member, `ana`, whose project `shop` holds the app `web`;
 * another member, `bob`; and ana's project tokens of each scope, one of them revoked.
 */
export interface RuntimeFixture {
  readonly service: TestService;
  readonly clusters: FakeClusters;
  /** The runtime view of shop's namespace in the test zone. */
  readonly shop: FakeNamespace;
  readonly ana: string;
  readonly bob: string;
  readonly reader: string;
  readonly deployer: string;
  readonly revoked: string;
  /** Revokes one of ana's tokens by its id. */
  revoke(tokenId: string): Promise<void>;
  projectToken(scope: "read" | "deploy"): Promise<Created>;
}

export async function runtimeFixture(
  options: { datastores?: ZoneDatastores; app?: ServiceOptions["app"] } = {},
): Promise<RuntimeFixture> {
  const clusters = new FakeClusters();
  const service = await TestService.start({
    clusters,
    app: { ...options.app, ...(options.datastores ? { datastores: options.datastores } : {}) },
  });
  const ana = await service.user("ana");
  const bob = await service.user("bob");
  await service.project(ana, "shop");
  await service.project(bob, "bobs");
  const put = await service.put<{ id: string }>("/v1/projects/shop/apps/web", ana, { image: "nginx:1.27" });
  if (put.status !== 202) throw new Error(`app: ${put.status} ${put.text}`);
  await service.settle(ana, put.body.id);
  const projectToken = async (scope: "read" | "deploy"): Promise<Created> => {
    const response = await service.post<Created>("/v1/projects/shop/tokens", ana, {
      name: `${scope}-${Math.random().toString(36).slice(2, 8)}`,
      scope,
    });
    if (response.status !== 201) throw new Error(`token: ${response.status} ${response.text}`);
    return response.body;
  };
  const revoke = async (tokenId: string) => {
    const response = await service.delete(`/v1/users/ana/tokens/${tokenId}`, ana);
    if (response.status !== 204) throw new Error(`revoke: ${response.status} ${response.text}`);
  };
  const gone = await projectToken("deploy");
  await revoke(gone.id);
  return {
    service,
    clusters,
    shop: clusters.inNamespace("testzone", "shop"),
    ana,
    bob,
    reader: (await projectToken("read")).token,
    deployer: (await projectToken("deploy")).token,
    revoked: gone.token,
    revoke,
    projectToken,
  };
}

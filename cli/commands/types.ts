/** The API's answers the commands read, as far as they read them (automation-api/http/schemas.ts). */

export interface Project {
  readonly name: string;
  readonly zone: string;
  readonly status: "active" | "deleting";
  readonly revision: number;
  readonly appliedRevision: number;
  readonly internetEgress: boolean;
  readonly counts: Readonly<Record<string, number>>;
  readonly usage?: Readonly<Record<string, number>>;
  readonly createdAt: string;
}

export interface Zone {
  readonly name: string;
  readonly baseDomain: string;
  readonly chunk: { readonly cpu: string; readonly memory: string; readonly disk: string };
}

/** An item of a project as the API answers it: its spec, whether it is deployed, its outputs. */
export type Item = Readonly<Record<string, unknown>> & {
  readonly name: string;
  readonly deployed: boolean;
  readonly outputs?: Readonly<Record<string, unknown>>;
};

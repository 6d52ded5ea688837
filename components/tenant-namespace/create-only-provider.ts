import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

const createOnly = new WeakSet<k8s.Provider>();

/** Where a create-only provider reaches: the same cluster as the stack's other Kubernetes provider. */
export interface CreateOnlyProviderArgs {
  /** Contents of the kubeconfig (keep it secret). Default: the ambient kubeconfig. */
  readonly kubeconfig?: pulumi.Input<string>;
  /** Context inside the kubeconfig. Default: its current context. */
  readonly context?: pulumi.Input<string>;
}

/**
 * A Kubernetes provider through which a TenantNamespace creates its Namespace, and nothing else.
 * With server-side apply on (the provider's default), a create is an apply patch, which the API
 * server answers by updating an object that already exists: the provider adopts it (see
 * `await.Creation` in pulumi-kubernetes, "we currently always upsert the object"). With it off, a
 * create is a plain POST, which the API server refuses with `AlreadyExists` when the namespace
 * is there, atomically, so no check made earlier can be outrun.
 */
export function createOnlyKubernetesProvider(
  name: string,
  args: CreateOnlyProviderArgs,
  opts?: pulumi.CustomResourceOptions,
): k8s.Provider {
  const provider = new k8s.Provider(
    name,
    { kubeconfig: args.kubeconfig, context: args.context, enableServerSideApply: false },
    opts,
  );
  createOnly.add(provider);
  return provider;
}

/** Whether `provider` was made by `createOnlyKubernetesProvider`. */
export function isCreateOnlyProvider(provider: unknown): boolean {
  return provider instanceof k8s.Provider && createOnly.has(provider);
}

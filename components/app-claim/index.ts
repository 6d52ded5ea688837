export {
  AppClaim,
  APP_CLAIM_TYPE,
  SECRET_ENV_CHECKSUM_ANNOTATION,
  SERVICE_PORT,
  secretEnvSecretName,
} from "./app-claim.js";
export { AppVolumeKind } from "./args.js";
export type { AppClaimArgs, AppSecretKeyEnv, AppVolume, AppVolumeMount, AppProbe } from "./args.js";
export { validateAppClaimArgs } from "./validate.js";
export { appEnv, mergeEnv, Workload } from "./pod.js";

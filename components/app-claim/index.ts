export { AppClaim, APP_CLAIM_TYPE, SERVICE_PORT } from "./app-claim.js";
export { AppVolumeKind } from "./args.js";
export type { AppClaimArgs, AppVolume, AppVolumeMount, AppProbe } from "./args.js";
export { validateAppClaimArgs } from "./validate.js";
export { mergeEnv, Workload } from "./pod.js";

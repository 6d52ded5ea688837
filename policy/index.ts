/**
 * The pluskube policy pack: quota and tenant isolation as code. Loaded by the Pulumi engine
 * (`pulumi up --policy-pack <dir>`); constructing the pack starts its policy server, so this
 * module is only ever the pack's entry point. See README.md for the rules and their config.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies.js";

new PolicyPack("pluskube", { enforcementLevel: "mandatory", policies });

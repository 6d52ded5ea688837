export * from "./errors.js";
export * from "./names.js";
export * from "./quantity.js";
export * from "./zone.js";
export * from "./project.js";
export * from "./usage.js";

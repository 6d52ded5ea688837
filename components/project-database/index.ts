export {
  ProjectDatabase,
  PROJECT_DATABASE_TYPE,
  DATABASE_SECRET_KEYS,
  OWNER_DATABASE_PRIVILEGES,
  PASSWORD_SPECIALS,
  postgresUrl,
} from "./project-database.js";
export type { PostgresUrlParts } from "./project-database.js";
export { SslMode } from "./args.js";
export type { ProjectDatabaseArgs } from "./args.js";
export { databaseIdentifier, databaseSecretName, POSTGRES_IDENTIFIER_MAX } from "./names.js";
export { validateProjectDatabaseArgs, MAX_DATABASE_GB, MAX_CONNECTION_LIMIT } from "./validate.js";

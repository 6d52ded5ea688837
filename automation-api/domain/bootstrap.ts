import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { AccessEnded } from "../jobs/event-bus.js";
import type { Queries, Store, TokenWithUser } from "../store/store.js";
import { hashToken, looksLikeToken, newToken, tokenPrefix } from "./tokens.js";

export const ADMIN_USER = "admin";
/** Name of the administrator's token made on first start. */
export const FIRST_TOKEN_NAME = "first start";
/** Name of the administrator's tokens made by `npm run admin-token:rotate`. */
export const ROTATED_TOKEN_NAME = "rotated admin token";
/** The admin token file's name in the data folder. */
export const ADMIN_TOKEN_FILE = "admin-token";
/** Only the service's user may read the data folder (state, passphrase, the admin token) ... */
const DATA_DIR_MODE = 0o700;
/** ... and the admin token file. */
const ADMIN_TOKEN_FILE_MODE = 0o600;

/**
 * Creates the administrator and their first token when the service has no administrator yet.
 * Returns the token (the only time it exists in plain text), or `undefined` when an
 * administrator already exists. Safe when several processes start at once.
 */
export async function ensureAdmin(store: Store): Promise<string | undefined> {
  return store.transaction(async (queries) => {
    await lockBootstrap(queries);
    if (await queries.hasAdmin()) return undefined;
    const admin = await adminUser(queries);
    return issueAdminToken(queries, admin.id, FIRST_TOKEN_NAME);
  });
}

async function lockBootstrap(queries: Queries): Promise<void> {
  await queries.executor.executeSql("select pg_advisory_xact_lock(hashtext('pluskube:bootstrap'))");
}

async function adminUser(queries: Queries) {
  return (
    (await queries.findUserByName(ADMIN_USER)) ??
    (await queries.createUser({ name: ADMIN_USER, isAdmin: true }))
  );
}

async function issueAdminToken(queries: Queries, userId: string, name: string): Promise<string> {
  const token = newToken();
  await queries.insertToken({
    hash: hashToken(token),
    prefix: tokenPrefix(token),
    name,
    userId,
    scope: "user",
  });
  return token;
}

/** Path of the admin token file in a data folder. */
export function adminTokenFile(dataDir: string): string {
  return join(dataDir, ADMIN_TOKEN_FILE);
}

/**
 * Makes the data folder readable by the service's user only, and the admin token file too,
 * at every start: a folder made by hand or a file copied in keeps whatever mode it came with.
 * Each fix is logged.
 */
export function secureDataDir(dataDir: string, log: (line: string) => void): void {
  mkdirSync(dataDir, { recursive: true, mode: DATA_DIR_MODE });
  fixMode(dataDir, DATA_DIR_MODE, log);
  const file = adminTokenFile(dataDir);
  if (existsSync(file)) fixMode(file, ADMIN_TOKEN_FILE_MODE, log);
}

function fixMode(path: string, mode: number, log: (line: string) => void): void {
  const current = statSync(path).mode & 0o777;
  if (current === mode) return;
  chmodSync(path, mode);
  log(`${path} had mode ${octal(current)}, readable beyond the service's user; set it to ${octal(mode)}`);
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}

/** Writes the admin token file (mode 0600) in one step, replacing any earlier one; returns its path. */
export function writeAdminTokenFile(dataDir: string, token: string): string {
  mkdirSync(dataDir, { recursive: true, mode: DATA_DIR_MODE });
  const file = adminTokenFile(dataDir);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${token}\n`, { mode: ADMIN_TOKEN_FILE_MODE });
  chmodSync(temporary, ADMIN_TOKEN_FILE_MODE);
  renameSync(temporary, file);
  return file;
}

/** The token the admin token file holds, when there is a file and it holds a token. */
function readAdminTokenFile(dataDir: string): string | undefined {
  try {
    const token = readFileSync(adminTokenFile(dataDir), "utf8").trim();
    return looksLikeToken(token) ? token : undefined;
  } catch {
    return undefined;
  }
}

function tokenWorks(row: TokenWithUser | undefined): boolean {
  return (
    row !== undefined &&
    row.revokedAt === null &&
    (row.expiresAt === null || row.expiresAt > new Date()) &&
    row.user.disabledAt === null
  );
}

/**
 * Removes the admin token file when the token it holds no longer works (revoked, expired,
 * unknown, or its user disabled): a dead credential should not lie around. Returns whether it
 * removed the file.
 */
export async function removeDeadAdminTokenFile(
  dataDir: string,
  store: Store,
  log: (line: string) => void,
): Promise<boolean> {
  const file = adminTokenFile(dataDir);
  if (!existsSync(file)) return false;
  const token = readAdminTokenFile(dataDir);
  const row = token ? await store.findTokenByHash(hashToken(token)) : undefined;
  if (tokenWorks(row)) return false;
  // The file may have been replaced (rotated) since it was read: remove only what was judged.
  if (readAdminTokenFile(dataDir) !== token) return false;
  unlinkSync(file);
  log(`removed ${file}: the token it held no longer works`);
  return true;
}

/** What the admin token file needs of the event bus: news that tokens were revoked or users disabled. */
export interface AccessNews {
  subscribeAccess(access: { tokenId: string; userId: string }, listener: () => void): () => void;
}

/**
 * Removes the admin token file as soon as its token is revoked or its user disabled (in any
 * service process), and follows the file when it is rotated; returns the function that stops
 * watching.
 */
export async function watchAdminTokenFile(
  dataDir: string,
  store: Store,
  bus: AccessNews,
  log: (line: string) => void,
): Promise<() => void> {
  let stopped = false;
  let unsubscribe = () => {};
  let checking = Promise.resolve();
  const check = () => {
    if (stopped) return;
    checking = checking
      .then(() => removeDeadAdminTokenFile(dataDir, store, log))
      // A rotation may have put a new token in the file since: watch that one.
      .then(() => watch())
      .catch((error: unknown) => log(`checking ${adminTokenFile(dataDir)}: ${String(error)}`));
  };
  const watch = async () => {
    unsubscribe();
    unsubscribe = () => {};
    const token = readAdminTokenFile(dataDir);
    if (!token) return;
    const row = await store.findTokenByHash(hashToken(token));
    if (!row || stopped) return;
    unsubscribe = bus.subscribeAccess({ tokenId: row.id, userId: row.userId }, check);
    // News sent while the token was looked up went unheard: look once more now that it is heard.
    const again = await store.findTokenByHash(hashToken(token));
    if (readAdminTokenFile(dataDir) !== token || !tokenWorks(again)) check();
  };
  await watch();
  return () => {
    stopped = true;
    unsubscribe();
  };
}

/** What rotating the admin token did. */
export interface RotatedAdminToken {
  /** The new token, shown once. */
  readonly token: string;
  readonly file: string;
  /** Ids of the tokens it revoked. */
  readonly revoked: readonly string[];
}

/**
 * Gives the administrator a new token in the admin token file and revokes the one the file held
 * and every other token made by the first start or an earlier rotation. `announce` tells running
 * service processes (their streams end, their copies of the file go).
 */
export async function rotateAdminToken(
  store: Store,
  dataDir: string,
  announce: (queries: Queries, ended: AccessEnded) => Promise<void>,
): Promise<RotatedAdminToken> {
  const old = readAdminTokenFile(dataDir);
  let written: string | undefined;
  try {
    const { token, revoked } = await store.transaction(async (queries) => {
      await lockBootstrap(queries);
      const admin = await adminUser(queries);
      const held = old ? await queries.findTokenByHash(hashToken(old)) : undefined;
      const tokens = await queries.listTokens({ userId: admin.id, projectId: null });
      const revoked = tokens
        .filter((row) => row.revokedAt === null)
        .filter(
          (row) => row.id === held?.id || row.name === FIRST_TOKEN_NAME || row.name === ROTATED_TOKEN_NAME,
        )
        .map((row) => row.id);
      if (held && held.revokedAt === null && !revoked.includes(held.id)) revoked.push(held.id);
      for (const id of revoked) await queries.revokeToken(id);
      const token = await issueAdminToken(queries, admin.id, ROTATED_TOKEN_NAME);
      await announce(queries, { tokens: revoked });
      // Written before the commit sends the announcement: watchers then find the new token in the file.
      written = writeAdminTokenFile(dataDir, token);
      return { token, revoked };
    });
    return { token, file: written ?? adminTokenFile(dataDir), revoked };
  } catch (error) {
    // Nothing was revoked: the file gets back the token it held.
    if (written) {
      if (old) writeAdminTokenFile(dataDir, old);
      else unlinkSync(written);
    }
    throw error;
  }
}

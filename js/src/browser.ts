// Browser entry: the `web` build of the wasm client, loaded by an explicit `init()` (no
// top-level await), so bundlers and plain <script type="module"> pages control when the
// .wasm file is fetched.
import initWasm, * as wasm from "../wasm/web/entropy_register_wasm.js";
import { newAccount, shareKey, checkTestSignature, Client as ClientBase } from "./client.js";
import { EntropyRegisterError } from "./errors.js";
import type { GeneratedAccount, RegisterResult } from "./types.js";

export { EntropyRegisterError, isErrorCode, type ShareRefusal } from "./errors.js";
export { ERROR_CODES } from "./types.js";
export type * from "./types.js";

let ready: Promise<void> | undefined;

/**
 * Loads the wasm module. Call once before `Client.connect`; `input` overrides where the .wasm
 * file comes from (a URL, a Response, or the bytes).
 */
export function init(input?: RequestInfo | URL | Response | BufferSource): Promise<void> {
  ready ??= initWasm(input === undefined ? undefined : { module_or_path: input }).then(() => {});
  return ready;
}

export class Client extends ClientBase {
  /** Connects to a node (ws:// or wss://) and checks its registry. */
  static async connect(url: string): Promise<Client> {
    if (!ready) {
      throw new EntropyRegisterError(
        "NotInitialized",
        "call `await init()` before Client.connect",
        "connect",
      );
    }
    await ready;
    return ClientBase.openWith(Client, wasm, url);
  }
}

/** The verifying key (0x hex) of an exported `keyShare`, after validating the share. */
export const keyShareVerifyingKey = (keyShare: string): string => shareKey(wasm, keyShare);

/** Checks a registration result's test signature again (FROST secp256k1 over its account,
 * inclusion block, verifying key and committee, under its verifying key), as `register` did
 * before it answered: for a result kept and read back later. Throws `InvalidInput` for
 * something that is not a result, `VerificationFailed` when it does not verify. */
export const verifyTestSignature = (result: RegisterResult): void => checkTestSignature(wasm, result);

/** A fresh random account (fund it with `client.transfer` before it signs). */
export const generateAccount = (): GeneratedAccount => newAccount(wasm);

/** The package version. */
export const version = (): string => wasm.version();

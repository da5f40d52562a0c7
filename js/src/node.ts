// Node entry: the `nodejs` build of the wasm client, loaded synchronously. Node 20 has no
// global WebSocket: the `ws` package's is installed when none exists.
import { createRequire } from "node:module";
import { newAccount, shareKey, checkTestSignature, Client as ClientBase, type WasmModule } from "./client.js";

import { EntropyRegisterError } from "./errors.js";
import type { GeneratedAccount, RegisterResult } from "./types.js";
export { EntropyRegisterError, isErrorCode, type ShareRefusal } from "./errors.js";
export { ERROR_CODES } from "./types.js";
export type * from "./types.js";

const require = createRequire(import.meta.url);
const g = globalThis as { WebSocket?: unknown };
if (typeof g.WebSocket !== "function") {
  type WsEmitter = { emit(event: string, ...args: unknown[]): boolean };
  const Ws = require("ws") as new (...args: unknown[]) => WsEmitter;
  // `ws` has no dispatchEvent. The wasm client's websocket dispatches a "close" event when it is
  // dropped, so that its one-shot close listener is consumed before the real close arrives;
  // without it that listener would run after its Rust closure is gone and throw.
  class DispatchingWebSocket extends Ws {
    dispatchEvent(event: { type?: string; code?: number; reason?: string }): boolean {
      if (event?.type !== "close") return false;
      this.emit("close", event.code ?? 1000, Buffer.from(event.reason ?? ""));
      return true;
    }
  }
  g.WebSocket = DispatchingWebSocket;
}
const wasm = require("../wasm/nodejs/entropy_register_wasm.js") as WasmModule & {
  version(): string;
  generateAccount(): unknown;
  keyShareVerifyingKey(keyShare: string): string;
  verifyTestSignature(resultJson: string): void;
};

/** Nothing to load on Node (the module is loaded with the package); kept for symmetry. */
export function init(): Promise<void> {
  return Promise.resolve();
}

export class Client extends ClientBase {
  /** Connects to a node (ws:// or wss://) and checks its registry. */
  static async connect(url: string): Promise<Client> {
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

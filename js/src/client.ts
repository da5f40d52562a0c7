import { EntropyRegisterError } from "./errors.js";
import type {
  Finality,
  GeneratedAccount,
  RegisterOptions,
  RegisterResult,
  RegisteredInfo,
  Status,
  StoreProgramOptions,
  StoredProgram,
  ThresholdServer,
  TransferOptions,
} from "./types.js";

/** The wasm class this wrapper drives (the same for the browser and the Node build). */
export interface WasmClient {
  register(options: unknown): Promise<unknown>;
  status(account: string, sinceBlock?: number): Promise<unknown>;
  finality(result: unknown, timeoutBlocks?: number): Promise<unknown>;
  balance(account: string): Promise<string>;
  transfer(options: unknown): Promise<unknown>;
  storeProgram(options: unknown): Promise<unknown>;
  signingGroups(): Promise<unknown>;
  registeredInfo(verifyingKey: string): Promise<unknown>;
  thresholdServers(): Promise<unknown>;
  free(): void;
}

export interface WasmModule {
  Client: { connect(url: string): Promise<WasmClient> };
}

async function call<T>(operation: string, f: () => Promise<unknown>): Promise<T> {
  try {
    return (await f()) as T;
  } catch (e) {
    throw EntropyRegisterError.from(e, operation);
  }
}

/** A connection to an entropy-register network. */
export class Client {
  readonly #inner: WasmClient;

  /** @internal */
  constructor(inner: WasmClient) {
    this.#inner = inner;
  }

  /** @internal Connects with `wasm` and wraps the result in `ctor`. */
  protected static async openWith<C extends Client>(
    ctor: new (inner: WasmClient) => C,
    wasm: WasmModule,
    url: string,
  ): Promise<C> {
    return new ctor(await call<WasmClient>("connect", () => wasm.Client.connect(url)));
  }

  /** Registers the signer's account; resolves once the result is verified. */
  register(options: RegisterOptions): Promise<RegisterResult> {
    return call("register", () => this.#inner.register(options));
  }

  /**
   * Where an account stands, to resume after a reload: registering, registered (its latest
   * `AccountRegistered` at or after `sinceBlock`, default the last 100 blocks), or none.
   */
  status(account: string, sinceBlock?: number): Promise<Status> {
    return call("status", () => this.#inner.status(account, sinceBlock));
  }

  /**
   * Checks a result `register` gave with `waitFor: "inBlock"` against finality: resolves once
   * the finalized chain registered the same key for the account (`moved`: in another block
   * than `result.registeredBlock`, the confirmations were included again after a
   * reorganisation); rejects with `Reorged` when a reorganisation dropped the result (the
   * finalized chain holds another key for the account, or none), `Timeout` after
   * `timeoutBlocks` (default 20) finalized blocks past `result.registeredBlock`.
   */
  finality(
    result: Pick<RegisterResult, "account" | "verifyingKey" | "inclusionBlock" | "registeredBlock">,
    options: { timeoutBlocks?: number } = {},
  ): Promise<Finality> {
    return call("finality", () => this.#inner.finality(result, options.timeoutBlocks));
  }

  /** Free balance (smallest unit, decimal string). */
  balance(account: string): Promise<string> {
    return call("balance", () => this.#inner.balance(account));
  }

  /** Sends funds (e.g. to pay a fresh account's fees); resolves with the block. */
  transfer(options: TransferOptions): Promise<{ block: number }> {
    return call("transfer", () => this.#inner.transfer(options));
  }

  /** Stores a program; resolves with the pointer to register with. */
  storeProgram(options: StoreProgramOptions): Promise<StoredProgram> {
    return call("storeProgram", () => this.#inner.storeProgram(options));
  }

  /** The stash accounts of each subgroup (index = subgroup). */
  signingGroups(): Promise<string[][]> {
    return call("signingGroups", () => this.#inner.signingGroups());
  }

  /** `Registered[vk]`, or `null`. */
  registeredInfo(verifyingKey: string): Promise<RegisteredInfo | null> {
    return call("registeredInfo", () => this.#inner.registeredInfo(verifyingKey));
  }

  /** Closes the connection to the node; the client cannot be used afterwards. */
  close(): void {
    this.#inner.free();
  }

  /** The threshold servers by subgroup. */
  thresholdServers(): Promise<ThresholdServer[]> {
    return call("thresholdServers", () => this.#inner.thresholdServers());
  }
}

/** @internal `generateAccount` over a wasm module. */
export function newAccount(wasm: { generateAccount(): unknown }): GeneratedAccount {
  return wasm.generateAccount() as GeneratedAccount;
}

/** @internal `keyShareVerifyingKey` over a wasm module, with the package's error type. */
export function shareKey(
  wasm: { keyShareVerifyingKey(keyShare: string): string },
  keyShare: string,
): string {
  try {
    return wasm.keyShareVerifyingKey(keyShare);
  } catch (e) {
    throw new EntropyRegisterError(
      "InvalidInput",
      String((e as Error)?.message ?? e),
      "keyShareVerifyingKey",
    );
  }
}

/** @internal `verifyTestSignature` over a wasm module, with the package's error type. */
export function checkTestSignature(
  wasm: { verifyTestSignature(resultJson: string): void },
  result: RegisterResult,
): void {
  try {
    wasm.verifyTestSignature(JSON.stringify(result));
  } catch (e) {
    throw EntropyRegisterError.from(e, "verifyTestSignature");
  }
}

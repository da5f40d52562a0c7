import { EntropyRegisterError } from "./errors.js";
import type {
  RegisterOptions,
  RegisterResult,
  RegisteredInfo,
  Status,
  ThresholdServer,
} from "./types.js";

/** The wasm class this wrapper drives (the same for the browser and the Node build). */
export interface WasmClient {
  register(options: unknown): Promise<unknown>;
  status(account: string): Promise<unknown>;
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

  /** Where an account stands (to resume after a reload). */
  status(account: string): Promise<Status> {
    return call("status", () => this.#inner.status(account));
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

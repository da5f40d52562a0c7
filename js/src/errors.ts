import { ERROR_CODES, type ErrorCode } from "./types.js";

/** `ShareRefused` only: which server refused the share, its HTTP status and its own code. */
export interface ShareRefusal {
  /** The server's `host:port`. */
  server: string;
  /** The HTTP status it answered. */
  status: number;
  /** The server's error code (e.g. `ShareMismatch`, `WrongSubgroup`). */
  serverCode: string;
}

/** `true` if `code` is one of the package's error codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && (ERROR_CODES as readonly string[]).includes(code);
}

/** Every error the package throws: a message for people, a stable `code`, the operation. */
export class EntropyRegisterError extends Error {
  readonly code: ErrorCode;
  readonly operation: string;
  /** Set when `code` is `ShareRefused`. */
  readonly refusal?: ShareRefusal;

  /** `code` is checked: an unknown one becomes `Internal` (the message keeps it). */
  constructor(code: ErrorCode, message: string, operation: string, refusal?: ShareRefusal) {
    const known = isErrorCode(code);
    super(known ? message : `${message} (unknown code ${String(code)})`);
    this.name = "EntropyRegisterError";
    this.code = known ? code : "Internal";
    this.operation = operation;
    if (refusal !== undefined) this.refusal = refusal;
  }

  /** `true` if this error has `code`. */
  is(code: ErrorCode): boolean {
    return this.code === code;
  }

  /** Converts what the wasm client threw (an Error with `code`/`operation`) or anything else. */
  static from(e: unknown, operation: string): EntropyRegisterError {
    if (e instanceof EntropyRegisterError) return e;
    const o = (typeof e === "object" && e !== null ? e : {}) as {
      code?: unknown;
      operation?: string;
      message?: string;
      server?: unknown;
      status?: unknown;
      serverCode?: unknown;
    };
    const message = o.message ?? String(e);
    const refusal =
      o.code === "ShareRefused" &&
      typeof o.server === "string" &&
      typeof o.status === "number" &&
      typeof o.serverCode === "string"
        ? { server: o.server, status: o.status, serverCode: o.serverCode }
        : undefined;
    return new EntropyRegisterError(
      isErrorCode(o.code) ? o.code : "Internal",
      message,
      o.operation ?? operation,
      refusal,
    );
  }
}

import type { ErrorCode } from "./types.js";

/** Every error the package throws: a message for people, a stable `code`, the operation. */
export class EntropyRegisterError extends Error {
  readonly code: ErrorCode;
  readonly operation: string;

  constructor(code: ErrorCode, message: string, operation: string) {
    super(message);
    this.name = "EntropyRegisterError";
    this.code = code;
    this.operation = operation;
  }

  /** `true` if this error has `code`. */
  is(code: ErrorCode): boolean {
    return this.code === code;
  }

  /** Converts what the wasm client threw (an Error with `code`/`operation`) or anything else. */
  static from(e: unknown, operation: string): EntropyRegisterError {
    if (e instanceof EntropyRegisterError) return e;
    const o = (typeof e === "object" && e !== null ? e : {}) as {
      code?: string;
      operation?: string;
      message?: string;
    };
    const message = o.message ?? String(e);
    return new EntropyRegisterError(
      (o.code as ErrorCode | undefined) ?? "Internal",
      message,
      o.operation ?? operation,
    );
  }
}

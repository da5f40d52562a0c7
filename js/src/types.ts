/** Stable error codes: switch on `error.code` or use `error.is(code)`. */
export type ErrorCode =
  | "InvalidInput"
  | "NoProgramSet"
  | "TooManyPrograms"
  | "UnknownProgram"
  | "ChainVersionMismatch"
  | "InsufficientFunds"
  | "AlreadySubmitted"
  | "TxInvalid"
  | "TxDropped"
  | "RegistrationFailed"
  | "VerificationFailed"
  | "Timeout"
  | "Cancelled"
  | "ServerUnreachable"
  | "SignerFailed"
  | "NotInitialized"
  | "Internal";

/** How the signature-request account signs: exactly one of these. */
export type Signer =
  | { uri: string } // "//Alice", "<mnemonic>//hard/soft", "0x<seed>"
  | { mnemonic: string }
  | { secretKey: string } // hex: 32-byte mini secret or 64-byte secret key
  | ExternalSigner;

/**
 * A wallet-style signer: the client never sees a secret. `signPayload` gets the transaction's
 * signer payload (hex) and must resolve to an sr25519 signature (hex) by `address`.
 * Public mode only (in Private mode the user signs every DKG message).
 */
export interface ExternalSigner {
  address: string;
  signPayload(request: { address: string; payload: string }): Promise<{ signature: string }>;
}

export interface ProgramInstance {
  /** 32-byte program pointer, hex. */
  pointer: string;
  /** Configuration bytes, hex (default empty). */
  config?: string;
}

export type ProgressEvent =
  | { type: "submitted" }
  | { type: "inBlock"; block: number }
  | { type: "committee"; block: number; members: CommitteeMember[] }
  | { type: "confirmation"; block: number; subgroup: number; server: string }
  | { type: "registered"; block: number; verifyingKey: string };

export interface RegisterOptions {
  signer: Signer;
  /** SS58 or hex; defaults to the signer's account. */
  programModificationAccount?: string;
  /** 1 to 5 programs; each must exist on chain. */
  programs: ProgramInstance[];
  /** "public" (default): the servers hold every share. "private": the user takes part in the
   * DKG and keeps its own share (returned as `keyShare`). */
  accessMode?: "public" | "private";
  /** Private mode: the user's x25519 secret (hex); generated when absent. */
  x25519SecretKey?: string;
  /** Blocks to wait after inclusion (default 20). */
  timeoutBlocks?: number;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

export interface CommitteeMember {
  subgroup: number;
  /** SS58 TSS account. */
  tssAccount: string;
  /** host:port */
  endpoint: string;
}

export interface Receipt {
  account: string;
  block_number: number;
  subgroup: number;
  verifying_key: string;
  server: string;
  signature: string;
}

export interface VerifiedMember extends CommitteeMember {
  /** Block of its confirm_register. */
  confirmedIn: number;
  /** Its signed receipt, verified against on-chain accounts. */
  receipt: Receipt;
}

export interface RegisterResult {
  account: string;
  accessMode: "public" | "private";
  /** Private mode: the user's key share (hex). Keep it secret. */
  keyShare?: string;
  /** Private mode: the user's x25519 secret (hex). Keep it secret. */
  x25519SecretKey?: string;
  /** 0x + 33-byte compressed secp256k1 key. */
  verifyingKey: string;
  ethereumAddress: string;
  inclusionBlock: number;
  registeredBlock: number;
  committee: VerifiedMember[];
}

export type Status =
  | { state: "registering"; programModificationAccount: string; block: number }
  | { state: "none"; block: number };

export interface RegisteredInfo {
  accessMode: "public" | "private";
  programs: { pointer: string; config: string }[];
  programModificationAccount: string;
}

export interface ThresholdServer {
  subgroup: number;
  stash: string;
  tssAccount: string;
  x25519: string;
  endpoint: string;
}

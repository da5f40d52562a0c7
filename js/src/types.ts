/**
 * Stable error codes: switch on `error.code` or use `error.is(code)`. The list is the Rust
 * client's `Code` (a test there compares the two), plus the two the JS side raises itself
 * (`NotInitialized`, `Internal`).
 */
export const ERROR_CODES = [
  "InvalidInput",
  "NoProgramSet",
  "TooManyPrograms",
  "UnknownProgram",
  "ChainVersionMismatch",
  "InsufficientFunds",
  "AlreadySubmitted",
  "TxInvalid",
  "TxDropped",
  "RegistrationFailed",
  "VerificationFailed",
  "Timeout",
  "Reorged",
  "Cancelled",
  "ServerUnreachable",
  "SignerFailed",
  "ProgramExists",
  "ShareRefused",
  "KeyAlreadyRegistered",
  "NotInitialized",
  "Internal",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** How the signature-request account signs: exactly one of these. */
export type Signer =
  | { uri: string } // "//Alice", "<mnemonic>//hard/soft", "0x<seed>"
  | { mnemonic: string }
  | { secretKey: string } // hex: 32-byte mini secret or 64-byte secret key
  | WalletSigner
  | ExternalSigner;

/** Hex with its `0x` prefix. */
export type HexString = `0x${string}`;

/**
 * What a wallet's `signPayload` gets: polkadot-js's `SignerPayloadJSON`, the fields of one
 * signed (version 4) transaction. Numbers are big-endian hex; `method` and `era` are SCALE.
 */
export interface SignerPayloadJSON {
  address: string;
  blockHash: HexString;
  blockNumber: HexString;
  era: HexString;
  genesisHash: HexString;
  method: HexString;
  nonce: HexString;
  specVersion: HexString;
  tip: HexString;
  transactionVersion: HexString;
  signedExtensions: string[];
  version: number;
}

/** What `signRaw` gets (not called by this package, see {@link InjectedSigner}). */
export interface SignerPayloadRaw {
  address: string;
  data: HexString;
  type: "bytes" | "payload";
}

/** A wallet's answer: the request's `id` and the signature (hex; 64 bytes, or 65 with the
 * sr25519 type byte `0x01` in front, as polkadot-js wallets answer). */
export interface SignerResult {
  id: number;
  signature: HexString;
}

/**
 * The signer interface that polkadot-js-compatible browser wallets inject
 * (`injected.signer`, the `Signer` of `@polkadot/types/types`). This package calls
 * `signPayload` for each transaction. It never calls `signRaw`: a Public registration signs
 * only its transaction, and wallets wrap raw bytes in `<Bytes>…</Bytes>`, which the DKG
 * messages of Private mode cannot carry.
 */
export interface InjectedSigner {
  signPayload?(payload: SignerPayloadJSON): Promise<SignerResult>;
  signRaw?(raw: SignerPayloadRaw): Promise<SignerResult>;
}

/**
 * A wallet's account: its `address` and the wallet's injected `signer`. The client never sees
 * a secret; the wallet shows and signs the transaction's fields, and the signature is checked
 * against the transaction before anything is submitted (else `SignerFailed`; a wallet that
 * rejects also gives `SignerFailed`, with the wallet's message). Public mode, transfers and
 * program storage (Private and client-dealt modes need the account's key).
 */
export interface WalletSigner {
  address: string;
  signer: InjectedSigner;
}

/**
 * A plain external signer: `signPayload` gets the transaction's signing payload (hex) and
 * must resolve to an sr25519 signature (hex) by `address`. Public mode only, like
 * {@link WalletSigner}.
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
  /** Client-dealt mode, first: the key is split; its commitments fix `verifyingKey`. */
  | { type: "dealt"; verifyingKey: string }
  | { type: "submitted" }
  | { type: "inBlock"; block: number }
  | { type: "committee"; block: number; members: CommitteeMember[] }
  /** Client-dealt mode: a server holds its share (its signed receipt verified). */
  | { type: "shareDelivered"; subgroup: number; server: string }
  | { type: "confirmation"; block: number; subgroup: number; server: string }
  | { type: "registered"; block: number; verifyingKey: string }
  /** Only with `waitFor: "finalized"` (the default): the registration block is final. */
  | { type: "finalized"; block: number }
  /** Last: the share holders' test signature (FROST secp256k1, 65 bytes hex) over this
   * registration's transcript, verified under `verifyingKey`. */
  | { type: "testSignature"; signature: string; verifyingKey: string };

/** Which blocks count: best blocks (`"inBlock"`, faster, a fork may drop them) or finalized
 * blocks (`"finalized"`, the default). */
export type WaitFor = "inBlock" | "finalized";

export interface RegisterOptions {
  signer: Signer;
  /** SS58 or hex; defaults to the signer's account. */
  programModificationAccount?: string;
  /** 1 to 5 programs; each must exist on chain. */
  programs: ProgramInstance[];
  /** "public" (default): the servers hold every share. "private": the user takes part in the
   * DKG and keeps its own share (returned as `keyShare`). "clientDealt": no DKG; the client
   * splits a secp256k1 key (imported or generated) into one share per subgroup, registers
   * the shares' commitments (which fix the key) and sends every server its share encrypted;
   * needs a signer whose key the client holds. */
  accessMode?: AccessMode;
  /** Private mode: the user's x25519 secret (hex); generated when absent. */
  x25519SecretKey?: string;
  /** Client-dealt mode: the secp256k1 secret key to deal (hex, 32 bytes); generated (and
   * returned as `dealtSecretKey`) when absent. */
  dealtSecretKey?: string;
  /** Blocks to wait after inclusion (default 20). */
  timeoutBlocks?: number;
  /** Default `"finalized"`. */
  waitFor?: WaitFor;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

export type AccessMode = "public" | "private" | "clientDealt";

export interface CommitteeMember {
  subgroup: number;
  /** SS58 TSS account. */
  tssAccount: string;
  /** host:port */
  endpoint: string;
}

/** A server's signed statement that it holds its subgroup's share of `verifyingKey`. */
export interface Receipt {
  /** SS58 of the registered account. */
  account: string;
  /** Block N that included the registration. */
  blockNumber: number;
  subgroup: number;
  verifyingKey: string;
  /** SS58 of the server's TSS account (the signer). */
  server: string;
  /** The share holders' test signature of the key (FROST secp256k1, hex); in client-dealt
   * mode only in the committee members' receipts. */
  testSignature?: string;
  /** sr25519 signature (hex) over the statement. */
  signature: string;
}

export interface VerifiedMember extends CommitteeMember {
  /** Block of its confirm_register. */
  confirmedIn: number;
  /** Its signed receipt, verified against on-chain accounts. */
  receipt: Receipt;
}

/** Client-dealt mode: a server that received its share. */
export interface DeliveredShare extends CommitteeMember {
  /** Its signed receipt for the share, verified against on-chain accounts. */
  receipt: Receipt;
}

export interface RegisterResult {
  account: string;
  accessMode: AccessMode;
  /** Private mode: the user's key share (hex). Keep it secret. */
  keyShare?: string;
  /** Private mode: the user's x25519 secret (hex). Keep it secret. */
  x25519SecretKey?: string;
  /** Client-dealt mode: every server of every subgroup, with its receipt. */
  dealtShares?: DeliveredShare[];
  /** Client-dealt mode with a generated key: the dealt secp256k1 secret (hex). Keep it secret,
   * or discard it (the servers hold every share). */
  dealtSecretKey?: string;
  /** 0x + 33-byte compressed secp256k1 key. */
  verifyingKey: string;
  ethereumAddress: string;
  inclusionBlock: number;
  registeredBlock: number;
  committee: VerifiedMember[];
  /** The share holders' test signature (FROST secp256k1, 65 bytes hex) over the transcript
   * (account, inclusion block, verifying key, committee), verified under `verifyingKey` before
   * the result was given: the servers' shares (and yours in private mode) make this key. */
  testSignature: string;
}

/** What `Client.finality` found: the finalized block that registered the result's key for the
 * account; `moved` when that is not the block the result named. */
export interface Finality {
  finalizedBlock: number;
  moved: boolean;
}

/** `block`: the finalized block the answer was read at. */
export type Status =
  | { state: "registering"; programModificationAccount: string; block: number }
  | { state: "registered"; verifyingKey: string; registeredBlock: number; block: number }
  | { state: "none"; block: number };

export interface TransferOptions {
  signer: Signer;
  /** SS58 or hex. */
  to: string;
  /** In the chain's smallest unit: a decimal string (any size) or a safe integer. */
  amount: string | number;
  waitFor?: WaitFor;
}

export interface StoreProgramOptions {
  /** The deployer; pays a deposit per stored byte. */
  signer: Signer;
  /** Hex. */
  bytecode: string;
  /** Hex (default empty). */
  configurationSchema?: string;
  /** Hex (default empty). */
  auxiliaryDataSchema?: string;
  /** Hex (default empty). */
  oracleDataPointer?: string;
  waitFor?: WaitFor;
}

export interface StoredProgram {
  /** The pointer to register with (0x hex). */
  pointer: string;
  block: number;
}

/** A fresh random account. Keep `secretKey` secret; use `{ secretKey }` as a signer. */
export interface GeneratedAccount {
  secretKey: string;
  address: string;
}

export interface RegisteredInfo {
  accessMode: AccessMode;
  /** Client-dealt keys: the share commitments recorded on chain (hex), else null. */
  commitments: string[] | null;
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

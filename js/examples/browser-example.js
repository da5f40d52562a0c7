import { init, Client } from "entropy-register";
await init();
const client = await Client.connect("ws://127.0.0.1:9944");
try {
  const r = await client.register({
    signer: { uri: "//Bob" }, // or { mnemonic } / { secretKey } / a wallet's { address, signer }
    programs: [{ pointer: "0x" + "00".repeat(32) }], // 1 to 5, each stored on chain
    accessMode: "public", // or "private" (you keep a share) / "clientDealt" (you deal the key)
    waitFor: "finalized", timeoutBlocks: 20, signal: AbortSignal.timeout(120_000),
    onProgress: (e) => console.log(e.type, e.block ?? ""), // submitted, inBlock, committee, …
  });
  console.log("verified", r.verifyingKey, r.ethereumAddress);
} catch (e) {
  console.error("failed", e.code, e.message); // e.is("InsufficientFunds"), e.is("Timeout"), …
}

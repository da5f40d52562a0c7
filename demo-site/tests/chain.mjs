// Reads `Registry.Registered[vk]` straight from the node's JSON-RPC (HTTP), independent of the
// package under test: the storage prefix is twox128("Registry") ++ twox128("Registered"), computed
// here; the map is Blake2_128Concat, so the SCALE-encoded key ends every storage key.

const RPC = process.env.DEVNET_RPC ?? "http://127.0.0.1:9944";

const M = (1n << 64n) - 1n;
const P1 = 11400714785074694791n, P2 = 14029467366897019727n, P3 = 1609587929392839161n;
const P4 = 9650029242287828579n, P5 = 2870177450012600261n;
const rotl = (x, r) => ((x << BigInt(r)) | (x >> BigInt(64 - r))) & M;
const round = (acc, lane) => (rotl((acc + lane * P2) & M, 31) * P1) & M;
const merge = (acc, v) => (((acc ^ round(0n, v)) * P1 + P4) & M);

/** xxHash64 of `bytes` with `seed`. */
function xxh64(bytes, seed) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (i) => view.getBigUint64(i, true);
  let i = 0;
  let h;
  if (bytes.length >= 32) {
    let v = [(seed + P1 + P2) & M, (seed + P2) & M, seed, (seed - P1) & M];
    for (; i + 32 <= bytes.length; i += 32) v = v.map((x, k) => round(x, u64(i + 8 * k)));
    h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M;
    for (const x of v) h = merge(h, x);
  } else {
    h = (seed + P5) & M;
  }
  h = (h + BigInt(bytes.length)) & M;
  for (; i + 8 <= bytes.length; i += 8) h = ((rotl(h ^ round(0n, u64(i)), 27) * P1) + P4) & M;
  for (; i + 4 <= bytes.length; i += 4) {
    h = ((rotl(h ^ ((BigInt(view.getUint32(i, true)) * P1) & M), 23) * P2) + P3) & M;
  }
  for (; i < bytes.length; i++) h = (rotl(h ^ ((BigInt(bytes[i]) * P5) & M), 11) * P1) & M;
  h = ((h ^ (h >> 33n)) * P2) & M;
  h = ((h ^ (h >> 29n)) * P3) & M;
  return h ^ (h >> 32n);
}

const le64 = (x) => Array.from({ length: 8 }, (_, k) => Number((x >> BigInt(8 * k)) & 0xffn));
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const twox128 = (s) => {
  const b = new TextEncoder().encode(s);
  return hex([...le64(xxh64(b, 0n)), ...le64(xxh64(b, 1n))]);
};
const fromHex = (h) => Uint8Array.from(h.replace(/^0x/, "").match(/../g), (x) => parseInt(x, 16));

async function rpc(method, params) {
  const res = await fetch(RPC, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = await res.json();
  if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

/** Self-check of the hash against the well-known `System` prefix. */
export const systemPrefix = () => twox128("System");

/**
 * `Registered[vk]` decoded as `{ accessMode, programs: [pointer], programModificationAccount }`
 * (hex), or `null` when the chain holds no such key.
 */
export async function registeredOnChain(vk) {
  const prefix = "0x" + twox128("Registry") + twox128("Registered");
  const suffix = "84" + vk.replace(/^0x/, "").toLowerCase(); // Compact(33) ‖ 33 bytes
  const keys = await rpc("state_getKeysPaged", [prefix, 1000, null]);
  const key = keys.find((k) => k.endsWith(suffix) && k.length === prefix.length + 32 + suffix.length);
  if (!key) return null;
  const v = fromHex(await rpc("state_getStorage", [key]));
  let i = 0;
  const accessMode = v[i++] === 0 ? "public" : "private";
  if (accessMode === "private") i += 32;
  const count = v[i++] >> 2; // Compact (< 64)
  const programs = [];
  for (let p = 0; p < count; p++) {
    programs.push("0x" + hex(v.slice(i, i + 32)));
    i += 32;
    const len = v[i++] >> 2; // config length (short configs only, as the demo uses)
    i += len;
  }
  return { accessMode, programs, programModificationAccount: "0x" + hex(v.slice(i, i + 32)) };
}

/** `DealtKeys[vk]` (ours): the number of share commitments recorded for a client-dealt key, or
 * `null` when the chain holds none. */
export async function dealtCommitmentsOnChain(vk) {
  const prefix = "0x" + twox128("Registry") + twox128("DealtKeys");
  const suffix = "84" + vk.replace(/^0x/, "").toLowerCase();
  const keys = await rpc("state_getKeysPaged", [prefix, 1000, null]);
  const key = keys.find((k) => k.endsWith(suffix) && k.length === prefix.length + 32 + suffix.length);
  if (!key) return null;
  const v = fromHex(await rpc("state_getStorage", [key]));
  const count = v[0] >> 2; // Compact (< 64)
  if (v.length !== 1 + 33 * count) throw new Error(`DealtKeys[${vk}] has ${v.length} bytes`);
  return count;
}

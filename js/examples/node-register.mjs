// Registers an account on the devnet from Node with the installed package and prints the
// verified result. Usage: node node-register.mjs [ws://127.0.0.1:9944] [//Ferdie]
import { Client, EntropyRegisterError } from "entropy-register";

const [url = "ws://127.0.0.1:9944", uri = "//Ferdie"] = process.argv.slice(2);
const client = await Client.connect(url);
try {
  const result = await client.register({
    signer: { uri },
    programs: [{ pointer: "0x" + "00".repeat(32) }],
    onProgress: (e) => console.log("progress:", JSON.stringify(e)),
  });
  console.log("verified registration:", JSON.stringify(result, null, 2));
} catch (e) {
  console.error(e instanceof EntropyRegisterError ? `failed (${e.code}): ${e.message}` : e);
  process.exitCode = 1;
} finally {
  client.close();
}

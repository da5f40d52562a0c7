// The demo page: connects to the devnet, then funds / stores / registers on request and shows
// every progress event and the verified result. Only the package's public API is used.
import { init, Client, generateAccount } from "entropy-register";

const $ = (id) => document.getElementById(id);
const FUNDING = "100000000000"; // 10 units (10^10 each)
const GENESIS = "0x" + "00".repeat(32);

let client;
let running;

function setConnection(state, text) {
  $("connection").dataset.state = state;
  $("connection").textContent = text;
}

async function connect() {
  setConnection("connecting", `connecting to ${$("node").value}…`);
  $("register").disabled = true;
  try {
    client?.close();
    client = undefined;
    client = await Client.connect($("node").value.trim());
    const servers = await client.thresholdServers();
    setConnection("ok", `connected to ${$("node").value} · ${servers.length} threshold servers`);
    $("register").disabled = false;
  } catch (e) {
    setConnection("error", `cannot connect: ${e.code ?? "Error"} — ${e.message}`);
  }
}

const short = (s) => (s.length > 20 ? `${s.slice(0, 10)}…${s.slice(-8)}` : s);

function step(type, title, detail = "", block) {
  const li = document.createElement("li");
  li.dataset.type = type;
  const head = document.createElement("div");
  head.className = "step-head";
  const name = document.createElement("span");
  name.className = "step-title";
  name.textContent = title;
  head.append(name);
  if (block !== undefined) {
    const b = document.createElement("span");
    b.className = "block";
    b.dataset.block = String(block);
    b.textContent = `block ${block}`;
    head.append(b);
  }
  li.append(head);
  if (detail) {
    const d = document.createElement("div");
    d.className = "step-detail";
    d.textContent = detail;
    li.append(d);
  }
  $("timeline").append(li);
}

function onProgress(e) {
  switch (e.type) {
    case "dealt":
      return step(e.type, "Key dealt", `one share per subgroup; the commitments fix ${short(e.verifyingKey)}`);
    case "shareDelivered":
      return step(e.type, `Share delivered to subgroup ${e.subgroup}`, `${short(e.server)} holds it (signed receipt verified)`);
    case "submitted":
      return step(e.type, "Submitted", "the transaction pool accepted the register call");
    case "inBlock":
      return step(e.type, `In block ${e.block}`, "the register call is on chain", e.block);
    case "committee":
      return step(
        e.type,
        `Committee for block ${e.block}`,
        e.members.map((m) => `subgroup ${m.subgroup}: ${m.endpoint}`).join(" · "),
        e.block,
      );
    case "confirmation":
      return step(e.type, `Subgroup ${e.subgroup} confirmed`, `by ${short(e.server)}`, e.block);
    case "registered":
      return step(e.type, "Registered", short(e.verifyingKey), e.block);
    case "finalized":
      return step(e.type, "Finalized", "the registration block is final", e.block);
    case "testSignature":
      return step(e.type, "Test signature verified", `the key's shares signed this registration: ${short(e.signature)}`);
  }
}

function showError(e) {
  $("error").hidden = false;
  $("error-code").textContent = e.code ?? "Error";
  $("error-message").textContent = `${e.message}${e.operation ? ` (during ${e.operation})` : ""}`;
  step("error", "Failed", `${e.code ?? "Error"}: ${e.message}`);
}

// Fills a table body with rows of cell texts; each cell carries its column's header as
// data-label, which the narrow (phone) layout shows beside the value instead of a header row.
function fillTable(bodyId, rows) {
  const body = $(bodyId);
  const labels = [...body.closest("table").querySelectorAll("thead th")].map((th) => th.textContent);
  body.replaceChildren(
    ...rows.map((cells) => {
      const tr = document.createElement("tr");
      cells.forEach((text, i) => {
        const td = document.createElement("td");
        td.textContent = text;
        td.dataset.label = labels[i] ?? "";
        tr.append(td);
      });
      return tr;
    }),
  );
}

function showResult(r) {
  $("result").hidden = false;
  $("account").textContent = r.account;
  $("vk").textContent = r.verifyingKey;
  $("eth").textContent = r.ethereumAddress;
  $("mode").textContent = r.accessMode;
  $("blocks").textContent = `in block ${r.inclusionBlock}, registered in block ${r.registeredBlock}`;
  $("test-signature").textContent = r.testSignature
    ? `✓ verified under the key: ${short(r.testSignature)}`
    : "none (client-dealt: you dealt the key yourself)";
  fillTable(
    "committee",
    r.committee.map((m) => [
      String(m.subgroup),
      `${m.endpoint} (${short(m.tssAccount)})`,
      `block ${m.confirmedIn}`,
      `✓ signed ${short(m.receipt.signature)}`,
    ]),
  );
  if (r.dealtShares) {
    fillTable(
      "dealt-shares",
      r.dealtShares.map((d) => [String(d.subgroup), `${d.endpoint} (${short(d.tssAccount)})`, `✓ signed ${short(d.receipt.signature)}`]),
    );
    $("dealt").hidden = false;
  }
  if (r.dealtSecretKey) {
    offerDownload(`dealt-key-${r.verifyingKey.slice(2, 12)}.json`, "Download the key you dealt", {
      account: r.account,
      verifyingKey: r.verifyingKey,
      dealtSecretKey: r.dealtSecretKey,
    });
  }
  if (r.keyShare) {
    offerDownload(`key-share-${r.verifyingKey.slice(2, 12)}.json`, "Download your key share", {
      account: r.account,
      verifyingKey: r.verifyingKey,
      keyShare: r.keyShare,
      x25519SecretKey: r.x25519SecretKey,
    });
  }
}

function offerDownload(name, label, content) {
  const link = $("share-download");
  link.href = URL.createObjectURL(new Blob([JSON.stringify(content, null, 2)], { type: "application/json" }));
  link.download = name;
  link.textContent = label;
  $("share").hidden = false;
}

async function programPointer(signer) {
  if (document.querySelector('input[name="program"]:checked').value === "genesis") return GENESIS;
  const file = $("program-file").files[0];
  if (!file) throw Object.assign(new Error("choose a program file to upload"), { code: "InvalidInput" });
  const bytes = new Uint8Array(await file.arrayBuffer());
  const bytecode = "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  try {
    const stored = await client.storeProgram({ signer, bytecode });
    step("program", "Program stored", stored.pointer, stored.block);
    return stored.pointer;
  } catch (e) {
    if (e.code !== "ProgramExists") throw e;
    const pointer = e.message.match(/0x[0-9a-f]{64}/)?.[0];
    step("program", "Program already stored", pointer ?? "");
    return pointer;
  }
}

async function register(ev) {
  ev.preventDefault();
  $("timeline").replaceChildren();
  $("error").hidden = true;
  $("result").hidden = true;
  $("share").hidden = true;
  $("dealt").hidden = true;
  $("register").disabled = true;
  $("cancel").disabled = false;
  running = new AbortController();
  try {
    let signer;
    if (document.querySelector('input[name="account"]:checked').value === "dev") {
      signer = { uri: $("dev-account").value };
    } else {
      const fresh = generateAccount();
      signer = { secretKey: fresh.secretKey };
      step("account", "Fresh account", fresh.address);
      if ($("fund").checked) {
        const { block } = await client.transfer({
          signer: { uri: $("funder").value },
          to: fresh.address,
          amount: FUNDING,
        });
        step("funded", `Funded by ${$("funder").value}`, "10 units", block);
      }
    }
    const pointer = await programPointer(signer);
    const accessMode = document.querySelector('input[name="mode"]:checked').value;
    const dealtKey = $("dealt-key").value.trim();
    const result = await client.register({
      signer,
      programs: [{ pointer }],
      accessMode,
      ...(accessMode === "clientDealt" && dealtKey ? { dealtSecretKey: dealtKey } : {}),
      waitFor: $("wait-for").value,
      signal: running.signal,
      onProgress,
    });
    showResult(result);
  } catch (e) {
    showError(e);
  } finally {
    running = undefined;
    $("register").disabled = !client;
    $("cancel").disabled = true;
  }
}

$("form").addEventListener("submit", register);
$("cancel").addEventListener("click", () => running?.abort());
$("node").addEventListener("change", connect);
document.querySelectorAll('input[name="program"]').forEach((r) =>
  r.addEventListener("change", () => {
    $("program-file").disabled = r.value !== "upload" || !r.checked;
  }),
);
$("program-file").disabled = true;
document.querySelectorAll('input[name="mode"]').forEach((r) =>
  r.addEventListener("change", () => {
    $("dealt-key").disabled = document.querySelector('input[name="mode"]:checked').value !== "clientDealt";
  }),
);
$("dealt-key").disabled = true;

const params = new URLSearchParams(location.search);
if (params.get("node")) $("node").value = params.get("node");
await init();
await connect();

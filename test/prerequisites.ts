// `npm test`'s first step: what the suite needs from the machine, one line each, with how to get what is
// missing. Machine tools first (Node, python3 with venv, terraform); when they are all there, it prepares
// what the tests use: the Python venv, NLTK's cmudict, a Chromium. Exit 2 names everything missing at once.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { loadSyllableData } from "../eval/metrics/readability/sources.ts";
import { CHROMIUM_FIX, findChromium } from "./helpers/chromium-path.ts";
import { CMUDICT_FIX, findNltkData, pyphenDic } from "./helpers/reference-data.ts";

const ROOT = join(import.meta.dirname, "..");
let missing = 0;
const ok = (what: string) => console.log(`ok       ${what}`);
const fail = (what: string, fix: string) => {
  missing++;
  console.error(`missing  ${what}: ${fix}`);
};

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() };
}

const [major] = process.versions.node.split(".").map(Number);
if (major < 20) fail(`Node ${process.versions.node}`, "the suite needs Node 20 or newer; install Node 24 or 22 LTS (nodejs.org/en/download)");
else ok(`Node ${process.versions.node}${major === 20 ? " (past end of life since 2026-04-30: Node 24 or 22 recommended)" : ""}`);

// MLflow 3.17 needs Python 3.10+; the venv module makes the test environment.
const py = run("python3", ["-c", "import sys, venv, ensurepip; print('%d.%d.%d' % sys.version_info[:3]); sys.exit(sys.version_info < (3, 10))"]);
if (py.ok) ok(`python3 ${py.out} with venv`);
else
  fail(
    py.out.match(/^\d+\.\d+/) ? `python3 ${py.out} (3.10+ needed)` : "python3 with venv",
    "install Python 3.10+ and its venv module (Debian/Ubuntu: apt-get install python3 python3-venv; python.org/downloads)",
  );

const tf = run("terraform", ["version"]);
if (tf.ok) ok(tf.out.split("\n")[0]);
else fail("terraform on PATH", "install Terraform 1.11+ (developer.hashicorp.com/terraform/install); the precondition tests run `terraform console`");

if (missing) {
  console.error(`${missing} prerequisite${missing > 1 ? "s" : ""} missing: install ${missing > 1 ? "them" : "it"}, then run npm test again`);
  process.exit(2);
}

// Prepared once, then found again in a moment on every run.
const venv = spawnSync("bash", [join(ROOT, "test", "python-env.sh")], { stdio: "inherit" });
if (venv.status !== 0) fail("the Python test environment (.venv)", "see pip's message above; remove .venv and run npm test again to rebuild it");
else ok("Python test environment .venv (test/python-requirements.txt)");

if (!findNltkData() && venv.status === 0) {
  // The product's own download (NLTK's URL, into the evallab cache on NLTK's search path).
  await loadSyllableData({ env: { ...process.env, EVALLAB_HYPHEN_DIC: pyphenDic() } });
}
const nltk = findNltkData();
if (nltk) ok(`NLTK cmudict in ${nltk}`);
else fail("NLTK's cmudict (the download failed)", CMUDICT_FIX);

const chromium = await findChromium();
if (chromium) ok(`Chromium ${chromium}`);
else fail("a Chromium for the report tests", CHROMIUM_FIX);

if (missing) {
  console.error(`${missing} prerequisite${missing > 1 ? "s" : ""} missing: fix ${missing > 1 ? "them" : "it"}, then run npm test again`);
  process.exit(2);
}

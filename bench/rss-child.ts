// Runs one `evallab` command, then reports the process's peak RSS on stderr for bench/memory.ts.
import { main } from "../scripts/cli.ts";
import { defaultIo } from "../scripts/commands/command.ts";

const io = defaultIo();
const code = await main(process.argv.slice(2), { ...io, out: () => {} });
process.stderr.write(`maxrss_kib=${process.resourceUsage().maxRSS}\n`);
process.exitCode = code;

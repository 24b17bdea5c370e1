// The JavaScriptCore job runner: one shape-harness job on Bun, through the harness's job protocol.
//
//   bun harness/jsc/job.mjs --job JOB.json --out RESULT.json
//   bun harness/jsc/job.mjs --describe        environment, strategies and catalogue as JSON
//
// The job is checked first (file, catalogue, and that its data exists: dataset readable, enough
// messages); a bad job prints one line `error: ...` on stderr, exits with status 2 and writes
// nothing. The measurement itself runs in fresh worker processes (`--worker`), started with the
// JSC options the measurer needs (BUN_JSC_*, which JSC reads at start-up only); each prints its
// outcome as JSON on stdout, and this process combines them and writes the result atomically,
// sealed as the harness's protocol says (protocol.mjs). A worker that fails, or a result that
// cannot be written whole, is `error: ...` and exit status 1. Every process dies with the one
// that started it (lifeline.mjs).

import { parseArgs } from "node:util";
import { writeAtomic } from "./atomic.mjs";
import { catalogue, MEASURERS, readJob } from "./catalogue.mjs";
import { environment } from "./environment.mjs";
import { JobError } from "./errors.mjs";
import { dieWithParent, PARENT_ENV } from "./lifeline.mjs";
import { resultBytes } from "./protocol.mjs";
import { makeStrategy } from "./strategies.mjs";
import { prepare } from "./workloads.mjs";

const STDERR_TAIL_LINES = 20;

function options(argv) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { job: { type: "string" }, out: { type: "string" },
      worker: { type: "boolean", default: false }, describe: { type: "boolean", default: false } } }));
  } catch (error) {
    throw new JobError(error.message);
  }
  if (values.describe) return values;
  if (!values.job) throw new JobError("--job JOB is required");
  if (!values.out && !values.worker) throw new JobError("--out RESULT is required");
  return values;
}

/** JobError when the job's data cannot give what it asks for (binds it once and lets it go). */
function checkData(job) {
  prepare(job, makeStrategy(job.strategy), job.params.rounds).close();
}

/** One worker: measure in this process (a measurer may return a promise: it is awaited) and print
 * the outcome with this process's environment. */
async function work(jobPath) {
  const { job } = readJob(jobPath);
  const outcome = await MEASURERS[job.measurer].measure(job);
  process.stdout.write(JSON.stringify({ outcome, environment: environment() }));
}

class WorkerFailed extends Error {}

/** A result, or a file beside it, that could not be written or read whole (disk full, size limit). */
class OutputError extends Error {}

function spawnWorker(jobPath, env) {
  const child = Bun.spawnSync({
    cmd: [process.execPath, Bun.main, "--job", jobPath, "--worker"],
    env: { ...process.env, ...env, [PARENT_ENV]: String(process.pid) },
    stdout: "pipe",
    stderr: "pipe",
  });
  const stderr = child.stderr.toString();
  if (child.exitCode !== 0) {
    const tail = stderr.trimEnd().split("\n").slice(-STDERR_TAIL_LINES).join("\n");
    throw new WorkerFailed(`measurement worker exited with status ${child.exitCode}:\n${tail}`);
  }
  return { ...JSON.parse(child.stdout.toString()), stderr };
}

function run({ job: jobPath, out }) {
  const started = Date.now() / 1000;
  const { job, sha256 } = readJob(jobPath);
  checkData(job);
  const measurer = MEASURERS[job.measurer];
  const runs = Array.from({ length: measurer.processes(job) }, () => spawnWorker(jobPath, measurer.env(job)));
  const outcome = measurer.combine(job, runs);
  try {
    writeAtomic(out, resultBytes(job, sha256, started, outcome, runs[0].environment, out));
  } catch (error) {
    throw new OutputError(`cannot write the result ${out}: ${error.message}`);
  }
}

async function main(argv) {
  dieWithParent();
  try {
    const args = options(argv);
    if (args.describe) process.stdout.write(`${JSON.stringify({ environment: environment(), ...catalogue() })}\n`);
    else if (args.worker) await work(args.job);
    else run(args);
    return 0;
  } catch (error) {
    if (error instanceof JobError) {
      process.stderr.write(`error: ${error.message.replaceAll("\n", " ")}\n`);
      return 2;
    }
    if (error instanceof WorkerFailed || error instanceof OutputError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));

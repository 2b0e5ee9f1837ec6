// Data-parallel runs over torch.distributed (Gloo on loopback): K ranks on batch b train exactly
// as one process on batch K·b (float64, no dropout, BatchNorm or augmentation); only rank 0
// writes; `lot train --nproc-per-node` starts and stops its ranks together (Ctrl-C, a dying
// rank), and a run resumes on the same number of processes.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@lot/torch';
import { freePort } from '../src/harness/index.js';
import { lot, lotSpawn, tempDir, writeSyntheticFashionMnist } from './cli-helpers.js';

const WORKER = fileURLToPath(new URL('./parallel-worker.js', import.meta.url));
const skip = torch.distributed.isAvailable()
  ? false
  : 'this build of @lot/torch has no torch.distributed (Gloo headers were missing at build time)';

/** Runs the dp domain on `world` ranks (1: one process without a group); resolves with rank 0's run folder. */
async function trainDp(world: number, batch: number, steps: number): Promise<string> {
  const runsDir = tempDir('dp');
  const port = await freePort();
  const ranks = await Promise.all(
    Array.from(
      { length: world },
      (_, rank) =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
          const env: NodeJS.ProcessEnv = { ...process.env };
          if (world > 1)
            Object.assign(env, { RANK: rank, WORLD_SIZE: world, LOCAL_RANK: rank, MASTER_ADDR: '127.0.0.1', MASTER_PORT: port });
          const child = spawn(process.execPath, [WORKER, runsDir, String(batch), String(steps)], {
            env,
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d) => (stdout += d));
          child.stderr.on('data', (d) => (stderr += d));
          child.on('close', (code) => resolve({ code, stdout, stderr }));
        }),
    ),
  );
  for (const r of ranks) assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(ranks[0]!.stdout.trim());
  assert.equal(out.status, 'complete');
  return out.dir;
}

/** Every model parameter in a run's checkpoint, flattened in name order. */
function checkpointParams(dir: string): Record<string, number[]> {
  return torch.tidy(() => {
    const saved = torch.load(join(dir, 'checkpoint.pt')) as { models: Record<string, Record<string, torch.Tensor>> };
    return Object.fromEntries(
      Object.entries(saved.models).map(([model, state]) => [
        model,
        Object.keys(state)
          .sort()
          .flatMap((k) => state[k]!.reshape([-1]).tolist() as number[]),
      ]),
    );
  });
}

const maxDifference = (a: number[], b: number[]): number => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

describe('data-parallel LoT (2 processes, Gloo on loopback)', { skip }, () => {
  test('2 ranks on batch b train teacher and student as one process on batch 2b (float64, 20 steps)', async () => {
    const [one, two] = [await trainDp(1, 16, 20), await trainDp(2, 8, 20)];
    const a = checkpointParams(one);
    const b = checkpointParams(two);
    assert.deepEqual(Object.keys(b).sort(), ['student0', 'teacher']);
    for (const model of Object.keys(a)) {
      const d = maxDifference(a[model]!, b[model]!);
      assert.ok(d < 1e-5, `${model}: max |difference| ${d}`);
    }
    // The models moved: the comparison is not between two untrained nets.
    const fresh = await trainDp(1, 16, 1);
    assert.ok(maxDifference(a.teacher!, checkpointParams(fresh).teacher!) > 1e-2);
    // Rank 0 alone wrote: one run folder, its records like one process's (20 step records).
    assert.deepEqual(readdirSync(join(two, '..')), ['lot-seed0']);
    const steps = readFileSync(join(two, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .filter((l) => JSON.parse(l).type === 'step');
    assert.equal(steps.length, 20);
    assert.equal(JSON.parse(readFileSync(join(two, 'config.json'), 'utf8')).worldSize, 2);
  });
});

/** Vision through the `lot` command with its launcher. */
const visionArgs = (data: string, runs: string, extra: string[]): string[] => [
  'train',
  'vision',
  '--data-dir',
  data,
  '--no-download',
  '--runs-dir',
  runs,
  '--teacher',
  'smallcnn',
  '--no-augment',
  '--lr',
  '0.05',
  '--methods',
  'lot',
  '--threads',
  '1',
  '--quiet',
  ...extra,
];

const runDirOf = (runs: string): string => {
  const [group] = readdirSync(runs);
  return join(runs, group!, 'lot-seed0');
};
const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const childrenOf = (pid: number): number[] =>
  spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean)
    .map(Number);

async function waitFor(what: string, ok: () => boolean, seconds = 60): Promise<void> {
  const until = Date.now() + seconds * 1000;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const exited = (child: ReturnType<typeof lotSpawn>) =>
  new Promise<{ code: number | null; stderr: string }>((resolve) => {
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr }));
  });

describe('lot train --nproc-per-node (vision)', { skip }, () => {
  const data = writeSyntheticFashionMnist(tempDir('dp-data'), 256, 64);

  /** Starts a long 2-rank run in `runs` and resolves once it has written its first step record. */
  async function longRunStarted(runs: string) {
    const child = lotSpawn(visionArgs(data, runs, ['--batch-size', '8', '--epochs', '20', '--nproc-per-node', '2']));
    const done = exited(child);
    await waitFor('the first step records', () => {
      const dir = existsSync(runs) && readdirSync(runs).length ? runDirOf(runs) : null;
      return dir !== null && existsSync(join(dir, 'metrics.jsonl')) && readFileSync(join(dir, 'metrics.jsonl'), 'utf8').includes('"step"');
    });
    return { child, done };
  }

  test('2 ranks train a run: batch 16 each, 256 images = 8 steps an epoch, one run folder written by rank 0', () => {
    const runs = tempDir('dp-two');
    const two = lot(visionArgs(data, runs, ['--batch-size', '16', '--epochs', '2', '--log-every', '1', '--nproc-per-node', '2']));
    assert.equal(two.code, 0, two.stderr);
    assert.match(two.stderr, /starting 2 ranks of 2 on this machine/);
    assert.equal(readdirSync(runs).length, 1);
    const dir = runDirOf(runs);
    assert.deepEqual(readdirSync(join(dir, '..')), ['lot-seed0']);
    const summary = summaryOf(dir);
    assert.equal(summary.status, 'complete');
    assert.equal(summary.teacherSteps, 16);
    const records = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(records.filter((r) => r.type === 'step').length, 16);
    assert.equal(records.filter((r) => r.type === 'epoch').length, 2);
    // BatchNorm keeps per-rank batch statistics (as PyTorch's DDP), so only the dp domain is compared exactly.
    assert.ok(summary.finalMetric > 0.2, `test accuracy ${summary.finalMetric}`);
  });

  test('Ctrl-C stops every rank with a checkpoint; resume needs the same world size and finishes', async () => {
    const runs = tempDir('dp-int');
    const { child, done } = await longRunStarted(runs);
    const ranks = childrenOf(child.pid!);
    assert.equal(ranks.length, 2);
    child.kill('SIGINT');
    const { code, stderr } = await done;
    assert.equal(code, 130, stderr);
    for (const pid of ranks) assert.equal(alive(pid), false, `rank process ${pid} is still running`);
    const dir = runDirOf(runs);
    assert.equal(summaryOf(dir).status, 'interrupted');
    assert.ok(existsSync(join(dir, 'checkpoint.pt')));

    const wrong = lot(['resume', dir, '--quiet']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /trains on 2 processes; resume it with the same number \(--nproc-per-node × --nnodes = 2\), not 1/);
    const resumed = lot(['resume', dir, '--quiet', '--nproc-per-node', '2', '--threads', '1']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(summaryOf(dir).status, 'complete');
  });

  test('a rank that dies stops the others: the run is marked failed with the cause, its checkpoint kept, no process left', async () => {
    const runs = tempDir('dp-kill');
    const child = lotSpawn(visionArgs(data, runs, ['--batch-size', '8', '--epochs', '20', '--nproc-per-node', '2']));
    const done = exited(child);
    await waitFor(
      'the first checkpoint',
      () => existsSync(runs) && readdirSync(runs).length > 0 && existsSync(join(runDirOf(runs), 'checkpoint.pt')),
    );
    const ranks = childrenOf(child.pid!);
    assert.equal(ranks.length, 2);
    const start = Date.now();
    process.kill(ranks[1]!, 'SIGKILL');
    const { code, stderr } = await done;
    assert.ok(Date.now() - start < 30_000, `took ${(Date.now() - start) / 1000} s`);
    assert.notEqual(code, 0);
    assert.match(stderr, /rank 1 exited with signal SIGKILL; stopping the other ranks/);
    assert.match(stderr, /rank 0 of 2: (allReduce|broadcast) failed: .*another rank's process exited or crashed/);
    for (const pid of ranks) assert.equal(alive(pid), false, `rank process ${pid} is still running`);
    const dir = runDirOf(runs);
    const summary = summaryOf(dir);
    assert.equal(summary.status, 'failed');
    assert.match(summary.error, /another rank's process exited or crashed/);
    assert.ok(existsSync(join(dir, 'checkpoint.pt')));
  });

  test('--device cuda where CUDA is missing is one line, before any rank starts', {
    skip: torch.buildInfo().cudaAvailable ? 'CUDA is available here' : false,
  }, () => {
    const r = lot(visionArgs(data, tempDir('dp-cuda'), ['--device', 'cuda', '--nproc-per-node', '2']));
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^lot: --device cuda: CUDA is not available here \(this libtorch was built without CUDA\); train with --device cpu\n$/,
    );
  });

  test('ranks whose launcher is killed stop with a checkpoint instead of running on', async () => {
    const runs = tempDir('dp-orphan');
    const { child, done } = await longRunStarted(runs);
    const ranks = childrenOf(child.pid!);
    child.kill('SIGKILL');
    await done;
    await waitFor('the ranks to exit', () => ranks.every((pid) => !alive(pid)), 30);
    assert.equal(summaryOf(runDirOf(runs)).status, 'interrupted');
  });

  test('two launchers as two nodes (--nnodes 2) make one run: node 0 writes it', async () => {
    const runs = tempDir('dp-nodes');
    const port = String(await freePort());
    const node = (rank: number) =>
      lotSpawn(
        visionArgs(data, runs, [
          '--batch-size',
          '16',
          '--epochs',
          '1',
          '--nnodes',
          '2',
          '--node-rank',
          String(rank),
          '--master-addr',
          '127.0.0.1',
          '--master-port',
          port,
        ]),
      );
    const [a, b] = await Promise.all([exited(node(0)), exited(node(1))]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stderr, /starting 1 rank of 2 on this machine \(node 1 of 2, rendezvous at 127\.0\.0\.1:\d+\)/);
    assert.equal(readdirSync(runs).length, 1);
    const summary = summaryOf(runDirOf(runs));
    assert.equal(summary.status, 'complete');
    assert.equal(summary.teacherSteps, 8);
  });

  test('launch flags are checked before any process starts', () => {
    const r = lot(visionArgs(data, tempDir('dp-bad'), ['--nnodes', '2', '--node-rank', '0']));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--nnodes 2 needs --master-addr/);
    const r2 = lot(visionArgs(data, tempDir('dp-bad'), ['--nnodes', '2', '--node-rank', '2', '--master-addr', '10.0.0.1']));
    assert.match(r2.stderr, /--node-rank 2 must be below --nnodes 2/);
  });
});

// torch.distributed over c10d with Gloo: several processes on loopback, as torchrun starts
// them; collectives, DistributedDataParallel against one process on the global batch, and a
// rank that dies or hangs making the others fail with a clear error instead of waiting forever.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/index.js';

const worker = fileURLToPath(new URL('./distributed-worker.js', import.meta.url));
const skip = torch.distributed.isAvailable() ? false : 'this build has no torch.distributed (Gloo headers were missing at build time)';

/** A port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface RankResult {
  code: number | null;
  out: Record<string, any> | null;
  stderr: string;
}

/** Starts `world` ranks of `scenario`; resolves with each rank's exit code and JSON line. */
async function runRanks(scenario: string, world: number, timeoutMs = 20000): Promise<RankResult[]> {
  const port = await freePort();
  return Promise.all(
    Array.from(
      { length: world },
      (_, rank) =>
        new Promise<RankResult>((resolve) => {
          const env = {
            ...process.env,
            RANK: String(rank),
            WORLD_SIZE: String(world),
            MASTER_ADDR: '127.0.0.1',
            MASTER_PORT: String(port),
            TEST_TIMEOUT_MS: String(timeoutMs),
          };
          const child = spawn(process.execPath, [worker, scenario], { env, stdio: ['ignore', 'pipe', 'pipe'] });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d) => (stdout += d));
          child.stderr.on('data', (d) => (stderr += d));
          child.on('close', (code) => {
            const line = stdout.trim().split('\n').pop();
            resolve({ code, out: line ? JSON.parse(line) : null, stderr });
          });
        }),
    ),
  );
}

describe('torch.distributed (Gloo, 2 processes on loopback)', { skip }, () => {
  test('one process alone is rank 0 of 1; collectives need a group', () => {
    assert.equal(torch.distributed.getRank(), 0);
    assert.equal(torch.distributed.getWorldSize(), 1);
    assert.equal(torch.distributed.isInitialized(), false);
    assert.throws(() => torch.distributed.allReduce(torch.ones([1])), /no process group; call torch\.distributed\.initProcessGroup/);
    assert.throws(() => new torch.distributed.DistributedDataParallel(new torch.nn.Linear(2, 2)), /no process group/);
    assert.ok(torch.distributed.availableBackends().includes('gloo'));
  });

  test('initProcessGroup checks its arguments before connecting', () => {
    assert.throws(() => torch.distributed.initProcessGroup({ rank: 2, worldSize: 2, masterPort: 1 }), /0 <= rank < worldSize/);
    assert.throws(
      () => torch.distributed.initProcessGroup({ rank: 0, worldSize: 1, masterPort: 70000 }),
      /MASTER_PORT must be in 1\.\.65535/,
    );
    assert.throws(() => torch.distributed.initProcessGroup({ rank: 0, worldSize: 1, masterPort: 1, backend: 'nccl' }), /backend 'nccl'/);
  });

  test('allReduce, broadcast, allGather and barrier', async () => {
    const ranks = await runRanks('collectives', 2);
    for (const [rank, r] of ranks.entries()) {
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.out, {
        rank,
        world: 2,
        rankFn: rank,
        worldFn: 2,
        sum: [3, 30],
        max: [1],
        broadcast: [7, 1],
        gathered: [
          [0, 0],
          [1, 1],
        ],
      });
    }
  });

  test('DistributedDataParallel: 2 ranks on batch b take the steps of one process on batch 2b', async () => {
    const ranks = await runRanks('ddp', 2);
    for (const r of ranks) assert.equal(r.code, 0, r.stderr);
    const [a, b] = ranks.map((r) => r.out!);
    assert.deepEqual(a!.params, b!.params, 'the ranks hold identical parameters');
    const maxDiff = Math.max(...a!.params.map((v: number, i: number) => Math.abs(v - a!.reference[i])));
    assert.ok(maxDiff < 1e-12, `DDP vs one process: max |difference| ${maxDiff}`);
    const moved = Math.max(...a!.params.map((v: number, i: number) => Math.abs(v - b!.reference[i])));
    assert.ok(moved < 1e-12);
  });

  test('DistributedDataParallel refuses ranks holding different models', async () => {
    const ranks = await runRanks('different-models', 2);
    for (const r of ranks) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.out!.error, /the ranks hold different models/);
    }
  });

  test('a rank that dies makes the others fail at once with an error naming them and the cause', async () => {
    const ranks = await runRanks('rank-dies', 2);
    assert.equal(ranks[1]!.code, 3);
    const r = ranks[0]!;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.out!.error, /rank 0 of 2: allReduce failed: .*another rank's process exited or crashed/s);
    assert.ok(r.out!.seconds < 10, `took ${r.out!.seconds} s`);
  });

  test('a rank that stops answering makes the others fail after the timeout, not hang', async () => {
    const ranks = await runRanks('rank-hangs', 2, 1500);
    const r = ranks[0]!;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.out!.error, /rank 0 of 2: allReduce failed: .*stopped answering within the group's timeout of 1500 ms/s);
    assert.ok(r.out!.seconds >= 1.4 && r.out!.seconds < 8, `took ${r.out!.seconds} s`);
  });
});

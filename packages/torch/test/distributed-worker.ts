// One rank of a distributed test (distributed.test.ts starts several): joins the group from
// torchrun's environment, runs the scenario named in argv, prints one JSON line of results.
import * as torch from '../src/index.js';

const { distributed: dist } = torch;
const scenario = process.argv[2];
const timeoutMs = Number(process.env.TEST_TIMEOUT_MS ?? 20000);

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A small float64 MLP, the same on every rank for a seed (rank 0's is broadcast anyway). */
function mlp(seed: number): torch.nn.Module {
  torch.manualSeed(seed);
  return new torch.nn.Sequential(new torch.nn.Linear(4, 8), new torch.nn.Tanh(), new torch.nn.Linear(8, 3)).double();
}

/** Batch `step` of the global stream: 2b rows; rank r's shard is rows [r·b, (r+1)·b). */
function globalBatch(step: number, rows: number): { x: torch.Tensor; y: torch.Tensor } {
  torch.manualSeed(1000 + step);
  return { x: torch.randn([rows, 4], { dtype: 'float64' }), y: torch.randint(0, 3, [rows]) };
}

function trainStep(model: torch.nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, sync?: () => void): void {
  torch.tidy(() => {
    opt.zeroGrad();
    const logits = (model as unknown as { forward(t: torch.Tensor): torch.Tensor }).forward(x);
    torch.nn.functional.crossEntropy(logits, y).backward();
    sync?.();
    opt.step();
  });
}

const flatParams = (m: torch.nn.Module): number[] =>
  torch.tidy(() => torch.cat(m.parameters().map((p) => p.detach().reshape([-1]))).tolist() as number[]);

const group = torch.distributed.initProcessGroup({ timeoutMs });
const rank = group.rank;
const world = group.worldSize;

if (scenario === 'collectives') {
  const t = torch.tensor([rank + 1, 10 * (rank + 1)], { dtype: 'float64' });
  dist.allReduce(t);
  const m = torch.tensor([rank], { dtype: 'int64' });
  dist.allReduce(m, 'max');
  const b = torch.tensor([rank === 1 ? 7 : -1, rank], { dtype: 'float32' });
  dist.broadcast(b, 1);
  const gathered = dist.allGather(torch.tensor([rank, rank * rank], { dtype: 'int32' }));
  dist.barrier();
  print({
    rank,
    world,
    rankFn: dist.getRank(),
    worldFn: dist.getWorldSize(),
    sum: t.tolist(),
    max: m.tolist(),
    broadcast: b.tolist(),
    gathered: gathered.map((g) => g.tolist()),
  });
} else if (scenario === 'ddp') {
  // Ranks start from different weights: DDP must broadcast rank 0's.
  const b = 3;
  const model = mlp(rank === 0 ? 5 : 99);
  const ddp = new dist.DistributedDataParallel(model, { bucketCapMb: 0.0001 }); // several buckets
  const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  // One process on the global batch, from rank 0's initial weights (seed 5).
  const reference = mlp(5);
  const refOpt = new torch.optim.SGD(reference.parameters(), { lr: 0.1, momentum: 0.9 });
  for (let step = 0; step < 10; step++) {
    const { x, y } = globalBatch(step, world * b);
    trainStep(model, opt, x.narrow(0, rank * b, b), y.narrow(0, rank * b, b), () => ddp.allReduceGradients());
    trainStep(reference, refOpt, x, y);
    torch.dispose([x, y]);
  }
  print({ rank, params: flatParams(model), reference: flatParams(reference) });
} else if (scenario === 'different-models') {
  try {
    new dist.DistributedDataParallel(rank === 0 ? mlp(1) : new torch.nn.Linear(4, 3).double());
    print({ rank, error: null });
  } catch (e) {
    print({ rank, error: (e as Error).message });
  }
} else if (scenario === 'rank-dies' || scenario === 'rank-hangs') {
  const t = torch.tensor([1], { dtype: 'float32' });
  dist.allReduce(t);
  if (rank === world - 1) {
    if (scenario === 'rank-dies') process.exit(3);
    const until = Date.now() + 2.5 * timeoutMs;
    while (Date.now() < until) {} // stuck outside any collective
    process.exit(0);
  }
  const start = Date.now();
  try {
    dist.allReduce(t);
    print({ rank, error: null });
  } catch (e) {
    print({ rank, error: (e as Error).message, seconds: (Date.now() - start) / 1000 });
  }
}
dist.destroyProcessGroup();

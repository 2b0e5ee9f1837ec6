// The Transformer-XL configuration of the benchmarks: the PTB preset, each field overridable by a flag.
import { TRANSFORMER_XL_PTB } from '../packages/lot/dist/src/tasks/lm/transformer-xl.js';

const FLAGS = {
  nLayer: 'layers',
  dModel: 'd-model',
  nHead: 'heads',
  dHead: 'd-head',
  dInner: 'd-inner',
  dropout: 'dropout',
  dropAtt: 'dropatt',
  tgtLen: 'segment',
  memLen: 'mem-len',
};

export function txlConfig(args) {
  const cfg = { nToken: Number(args.vocab ?? 10000) };
  for (const [key, flag] of Object.entries(FLAGS)) cfg[key] = Number(args[flag] ?? TRANSFORMER_XL_PTB[key]);
  return cfg;
}

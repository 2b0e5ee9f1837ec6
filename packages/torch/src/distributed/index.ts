// torch.distributed: the process group (c10d over Gloo or NCCL) and data-parallel training.
export {
  allGather,
  allReduce,
  availableBackends,
  barrier,
  broadcast,
  destroyProcessGroup,
  getBackend,
  getRank,
  getWorldSize,
  initProcessGroup,
  isAvailable,
  isInitialized,
} from './process-group.js';
export type { Backend, GroupInfo, InitOptions, ReduceOp } from './process-group.js';
export { DistributedDataParallel } from './ddp.js';
export type { DdpOptions } from './ddp.js';

// A student's cost relative to the teacher's, for the equal-compute baseline when
// the architectures differ: the ratio of parameter counts (LOT.md's cost model
// counts forward passes; for these convolutional nets parameters track FLOPs).
import * as torch from '@lot/torch';
import { relativeCostFromParameters } from '../lot/cost.js';
import { buildModel, loadModelFactory } from './vision-parts.js';

export async function relativeCost(teacher: string, student: string, numClasses = 10, inChannels = 1): Promise<number> {
  if (teacher === student) return 1;
  await loadModelFactory();
  const t = buildModel(teacher, numClasses, inChannels);
  const s = buildModel(student, numClasses, inChannels);
  const r = relativeCostFromParameters(t, s);
  torch.dispose([...t.parameters(), ...t.buffers(), ...s.parameters(), ...s.buffers()]);
  return r;
}

// The domains `lot train` knows. Light descriptors only: each loads its libtorch part when a run starts.
import type { AnyDomain } from '../harness/index.js';
import { lmDomain } from '../tasks/lm/domain.js';
import { rlDomain } from '../tasks/rl/domain.js';
import { visionDomain } from '../tasks/vision/domain.js';

export const DOMAINS: readonly AnyDomain[] = [visionDomain, lmDomain, rlDomain];

export const domainNames = (): string[] => DOMAINS.map((d) => d.name);

export const findDomain = (name: string): AnyDomain | undefined => DOMAINS.find((d) => d.name === name);

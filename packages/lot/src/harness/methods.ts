// The methods every LoT result is compared by (docs/METHOD.md#baselines).

export const METHODS = ['lot', 'teacher-only', 'equal-compute'] as const;
export type Method = (typeof METHODS)[number];

export const METHOD_LABEL: Record<Method, string> = { lot: 'LoT', 'teacher-only': 'teacher-only', 'equal-compute': 'equal compute' };

export const isMethod = (s: string): s is Method => (METHODS as readonly string[]).includes(s);

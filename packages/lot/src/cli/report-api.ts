// The report engineer's buildReport, imported at run time.
export interface BuiltReport {
  markdown: string;
  files: string[];
}
export type BuildReport = (runDirs: string[], outDir: string) => Promise<BuiltReport> | BuiltReport;

const REPORT_MODULE = '../report/index.js';
export async function loadReport(): Promise<{ buildReport: BuildReport }> {
  return (await import(REPORT_MODULE)) as { buildReport: BuildReport };
}

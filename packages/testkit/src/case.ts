import type { CaseEnv, SuiteInfo } from './env.ts';

/** One conformance case: data, so the suite can register, skip or mark it uniformly. */
export interface ConformanceCase {
  /** Short and stable; goes into topic and group names. */
  readonly id: string;
  readonly name: string;
  /** Test timeout before scaling. Default 20 s. */
  readonly timeoutMs?: number;
  /** Runs once per store of `ConformanceOptions.stores` (the exactly-once cases), each "process" with `env.store()`. */
  readonly perStore?: boolean;
  /** Set when the transport declares it lacks the feature: the case is skipped with this note. */
  readonly skip?: string | undefined;
  run(env: CaseEnv): Promise<void>;
}

/** A themed group of cases, registered as one describe block. */
export interface CaseGroup {
  readonly title: string;
  readonly cases: readonly ConformanceCase[];
}

export type CaseGroupFactory = (info: SuiteInfo) => CaseGroup;

/** The skip note for a case whose feature `available` says the transport lacks. */
export function unlessDeclared(available: boolean, what: string): string | undefined {
  return available ? undefined : `the transport declares no ${what} (capabilities); its refusal is checked in "capability refusals"`;
}

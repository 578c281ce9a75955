/**
 * The profile types a request may ask for: KubeDiag's three, then the rest of Go's runtime/pprof set, and
 * goroutineleak (Go 1.26 serves it when built with GOEXPERIMENT=goroutineleakprofile; standard from Go 1.27).
 */
export const PROFILE_TYPES = ['Profile', 'Heap', 'Goroutine', 'Allocs', 'Block', 'Mutex', 'Threadcreate', 'GoroutineLeak'] as const;
export type ProfileType = (typeof PROFILE_TYPES)[number];

/** The name under /debug/pprof/ that serves each type. */
export const PPROF_ENDPOINT: Record<ProfileType, string> = {
  Profile: 'profile',
  Heap: 'heap',
  Goroutine: 'goroutine',
  Allocs: 'allocs',
  Block: 'block',
  Mutex: 'mutex',
  Threadcreate: 'threadcreate',
  GoroutineLeak: 'goroutineleak',
};

export function profileTypeFromName(name: string): ProfileType | undefined {
  const lower = name.trim().toLowerCase();
  return PROFILE_TYPES.find((t) => t.toLowerCase() === lower);
}

/** A regex matching any type name in any letter case; JSON Schema patterns have no case-insensitive flag. */
export function caseInsensitivePattern(names: readonly string[]): string {
  const spell = (name: string) =>
    [...name].map((c) => (c.toLowerCase() === c.toUpperCase() ? c : `[${c.toUpperCase()}${c.toLowerCase()}]`)).join('');
  return `^\\s*(${names.map(spell).join('|')})\\s*$`;
}

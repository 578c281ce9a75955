/** How much structure a profile may have before it is refused rather than decoded. */
export interface StructureLimits {
  maxSamples: number;
  maxLocations: number;
  maxFunctions: number;
}

export const DEFAULT_LIMITS: StructureLimits = { maxSamples: 20_000_000, maxLocations: 5_000_000, maxFunctions: 2_000_000 };

import { ProfileType } from '../parameters/profile-types';
import { Aggregate } from './aggregate-model';
import { Analysis } from './analyze';
import { topTable } from './top';

export interface SummaryRow {
  function: string;
  flat: number;
  flat_text: string;
  flat_percent: string;
  cum: number;
  cum_text: string;
  cum_percent: string;
  /** In a diff (flat and cum are then new - base): each capture's own. */
  new_flat?: number;
  new_flat_text?: string;
  base_flat?: number;
  base_flat_text?: string;
  new_cum?: number;
  base_cum?: number;
  /** "+12.5%", "-100%" (gone), or "new" (the base had none). */
  flat_change?: string;
}

export interface Summary {
  type: ProfileType;
  sample_type: string;
  unit: string;
  /** pprof's total: in a diff, the base's. */
  total: number;
  total_text: string;
  /** In a diff: the new capture's total. */
  new_total?: number;
  new_total_text?: string;
  top: SummaryRow[];
}

/**
 * What the next step of a diagnosis can act on without a browser: the default sample type's top 10 by flat. In a
 * diff (base: the aggregate of the base's samples), by |flat delta|, as pprof's -diff_base -top sorts, each row
 * with both captures' values, so a pipeline can flag a regression.
 */
export function summarize(type: ProfileType, { data, model }: Analysis, count = 10, base?: Aggregate): Summary {
  const table = topTable(data, model, data.defaultSampleIndex, count, base);
  return {
    type,
    sample_type: table.sampleType,
    unit: table.unit,
    total: table.total,
    total_text: table.totalText,
    ...(table.diff ? { new_total: table.diff.newTotal, new_total_text: table.diff.newTotalText } : {}),
    top: table.rows.map((row) => ({
      function: row.name,
      flat: row.flat,
      flat_text: row.flatText,
      flat_percent: row.flatPercent,
      cum: row.cum,
      cum_text: row.cumText,
      cum_percent: row.cumPercent,
      ...(row.diff
        ? {
            new_flat: row.diff.newFlat,
            new_flat_text: row.diff.newFlatText,
            base_flat: row.diff.baseFlat,
            base_flat_text: row.diff.baseFlatText,
            new_cum: row.diff.newCum,
            base_cum: row.diff.baseCum,
            flat_change: changeText(row.diff.flatChange),
          }
        : {}),
    })),
  };
}

/** A relative change as people read it: "+12.5%", "-100%", "new" when there was nothing to change from. */
export function changeText(change: number | null): string {
  if (change === null) return 'new';
  const percent = change * 100;
  return `${percent > 0 ? '+' : ''}${percent.toFixed(Math.abs(percent) < 10 ? 2 : 1)}%`;
}

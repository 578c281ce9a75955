import { ProfileType } from '../parameters/profile-types';
import { Analysis } from './analyze';
import { topTable } from './top';

export interface Summary {
  type: ProfileType;
  sample_type: string;
  unit: string;
  total: number;
  total_text: string;
  top: Array<{ function: string; flat: number; flat_text: string; flat_percent: string; cum: number; cum_text: string; cum_percent: string }>;
}

/** What the next step of a diagnosis can act on without a browser: the default sample type's top 10 by flat. */
export function summarize(type: ProfileType, { data, model }: Analysis, count = 10): Summary {
  const table = topTable(data, model, data.defaultSampleIndex, count);
  return {
    type,
    sample_type: table.sampleType,
    unit: table.unit,
    total: table.total,
    total_text: table.totalText,
    top: table.rows.map((row) => ({
      function: row.name,
      flat: row.flat,
      flat_text: row.flatText,
      flat_percent: row.flatPercent,
      cum: row.cum,
      cum_text: row.cumText,
      cum_percent: row.cumPercent,
    })),
  };
}

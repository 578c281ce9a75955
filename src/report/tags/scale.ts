import { fixed2 } from '../units';

/**
 * pprof's unit conversions (internal/measurement Scale and ScaledLabel), which its label options use: a numeric
 * tag filter compares values converted to the filter's unit, and a numeric tagroot frame is a scaled label.
 * Display of sample values stays with units.ts.
 */
interface Unit {
  name: string;
  aliases: string[];
  factor: number;
}

interface UnitType {
  units: Unit[];
  defaultUnit: Unit;
}

const unit = (name: string, aliases: string[], factor: number): Unit => ({ name, aliases, factor });

const UNIT_TYPES: UnitType[] = [
  {
    units: [
      unit('B', ['b', 'byte'], 1),
      unit('kB', ['kb', 'kbyte', 'kilobyte'], 2 ** 10),
      unit('MB', ['mb', 'mbyte', 'megabyte'], 2 ** 20),
      unit('GB', ['gb', 'gbyte', 'gigabyte'], 2 ** 30),
      unit('TB', ['tb', 'tbyte', 'terabyte'], 2 ** 40),
      unit('PB', ['pb', 'pbyte', 'petabyte'], 2 ** 50),
    ],
    defaultUnit: unit('B', ['b', 'byte'], 1),
  },
  {
    units: [
      unit('ns', ['ns', 'nanosecond'], 1),
      unit('us', ['μs', 'us', 'microsecond'], 1e3),
      unit('ms', ['ms', 'millisecond'], 1e6),
      unit('s', ['s', 'sec', 'second'], 1e9),
      unit('hrs', ['hour', 'hr'], 3600e9),
    ],
    defaultUnit: unit('s', [], 1e9),
  },
  {
    units: [
      unit('n*GCU', ['nanogcu'], 1e-9),
      unit('u*GCU', ['microgcu'], 1e-6),
      unit('m*GCU', ['milligcu'], 1e-3),
      unit('GCU', ['gcu'], 1),
      unit('k*GCU', ['kilogcu'], 1e3),
      unit('M*GCU', ['megagcu'], 1e6),
      unit('G*GCU', ['gigagcu'], 1e9),
      unit('T*GCU', ['teragcu'], 1e12),
      unit('P*GCU', ['petagcu'], 1e15),
    ],
    defaultUnit: unit('GCU', [], 1),
  },
];

/** sniffUnit: lower case, a plural "s" dropped from names longer than two bytes (Go's len counts bytes). */
function sniff(type: UnitType, name: string): Unit | undefined {
  let u = name.toLowerCase();
  if (utf8Length(u) > 2 && u.endsWith('s')) u = u.slice(0, -1);
  return type.units.find((candidate) => candidate.aliases.includes(u));
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

function autoScale(type: UnitType, value: number): [number, string] | undefined {
  let factor = 0;
  let name = '';
  for (const u of type.units) {
    if (u.factor >= factor && value / u.factor >= 1) {
      factor = u.factor;
      name = u.name;
    }
  }
  return factor === 0 ? undefined : [value / factor, name];
}

function convert(type: UnitType, value: number, from: string, to: string): [number, string] | undefined {
  const fromUnit = sniff(type, from);
  if (!fromUnit) return undefined;
  const v = value * fromUnit.factor;
  if (to === 'minimum' || to === 'auto') return autoScale(type, v) ?? [v / type.defaultUnit.factor, type.defaultUnit.name];
  const toUnit = sniff(type, to) ?? type.defaultUnit;
  return [v / toUnit.factor, toUnit.name];
}

/** The value in `to`'s unit and that unit's name ("" when uninteresting); as pprof, `to` may be minimum or auto. */
export function scale(value: number, from: string, to: string): [number, string] {
  if (value < 0) {
    const [v, u] = scale(-value, from, to);
    return [-v, u];
  }
  for (const type of UNIT_TYPES) {
    const converted = convert(type, value, from, to);
    if (converted) return converted;
  }
  return ['count', 'sample', 'unit', 'minimum', 'auto'].includes(to) ? [value, ''] : [value, to];
}

/** pprof's label for a value: scaled, two decimals with ".00" dropped, "0" bare. */
export function scaledLabel(value: number, from: string, to: string): string {
  const [v, u] = scale(value, from, to);
  const text = fixed2(v).replace(/\.00$/, '');
  return text === '0' || text === '-0' ? '0' : text + u;
}

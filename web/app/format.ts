// One units module for the server and the page: values read the same in the table, the tooltip and pprof.
export { formatPercent, formatValue } from '../../src/report/units';

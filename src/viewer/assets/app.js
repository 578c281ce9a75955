// The profile page: a thin view over api/profile and api/top. Names come from an untrusted program, so every
// value is inserted with textContent, never as HTML.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { info: null, rows: [], sample: new URLSearchParams(location.search).get('sample') };

async function getJSON(path) {
  const response = await fetch(path);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function showError(error) {
  $('error').hidden = false;
  $('error').textContent = String(error.message || error);
}

function renderProvenance(info) {
  $('title').textContent = `${info.type} profile`;
  document.title = `${info.type} · ${info.context.podName || info.source} · go-profiler`;
  const c = info.context;
  const fields = [
    ['Diagnosis', [c.diagnosisNamespace, c.diagnosisName].filter(Boolean).join('/')],
    ['Pod', [c.podNamespace, c.podName].filter(Boolean).join('/')],
    ['Container', c.container],
    ['Node', c.node],
    ['Source', info.source],
    ['Fetched', new Date(info.fetchedAt).toLocaleString()],
    ['Duration', info.durationSeconds ? `${info.durationSeconds}s` : ''],
    ['Period', info.period ? info.period.text : ''],
    ['Samples', String(info.samples)],
    ['Binary', info.mainBinary ? info.mainBinary.file : ''],
  ];
  const dl = $('provenance');
  dl.replaceChildren();
  for (const [label, value] of fields) {
    if (!value) continue;
    const div = document.createElement('div');
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = label;
    dd.textContent = value;
    div.append(dt, dd);
    dl.append(div);
  }
}

function tickExpiry() {
  const left = Math.max(0, Math.round((new Date(state.info.expiresAt) - Date.now()) / 1000));
  const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
  $('expiry').textContent = left === 0 ? 'This viewer has expired.' : `This viewer expires in ${h ? `${h}h ` : ''}${m}m ${s}s.`;
}

function renderSampleMenu(info) {
  const select = $('sample');
  select.replaceChildren();
  for (const t of info.sampleTypes) {
    const option = document.createElement('option');
    option.value = t.type;
    option.textContent = `${t.type} (${t.totalText})`;
    select.append(option);
  }
  select.value = state.sample || info.defaultSampleType;
}

function renderRows() {
  let pattern = null;
  try {
    pattern = $('filter').value ? new RegExp($('filter').value, 'i') : null;
  } catch {
    pattern = null;
  }
  const body = document.querySelector('#top tbody');
  const rows = state.rows.filter((r) => !pattern || pattern.test(r.name)).slice(0, 500);
  body.replaceChildren(
    ...rows.map((r) => {
      const tr = document.createElement('tr');
      for (const [value, numeric] of [[r.flatText, 1], [r.flatPercent, 1], [r.sumPercent, 1], [r.cumText, 1], [r.cumPercent, 1], [r.name, 0]]) {
        const td = document.createElement('td');
        td.textContent = value;
        if (numeric) td.className = 'num';
        tr.append(td);
      }
      if (r.file) tr.title = r.file;
      return tr;
    }),
  );
}

async function loadTop() {
  const sample = $('sample').value;
  const table = await getJSON(`api/top?sample=${encodeURIComponent(sample)}`);
  state.rows = table.rows;
  $('total').textContent = `Total ${table.sampleType}: ${table.totalText} in ${table.rows.length} functions`;
  renderRows();
}

async function main() {
  try {
    state.info = await getJSON('api/profile');
    renderProvenance(state.info);
    renderSampleMenu(state.info);
    $('download').setAttribute('download', state.info.downloadName);
    tickExpiry();
    setInterval(tickExpiry, 1000);
    $('sample').addEventListener('change', () => {
      const url = new URL(location.href);
      url.searchParams.set('sample', $('sample').value);
      history.replaceState(null, '', url);
      loadTop().catch(showError);
    });
    $('filter').addEventListener('input', renderRows);
    await loadTop();
  } catch (error) {
    showError(error);
  }
}

main();

// reel studio: live state over server-sent events, stills while scrubbing, the timeline.
'use strict';
const $ = (s) => document.querySelector(s);
const body = document.body;
// Set once per page load: a test tells a live update from a reload by it.
body.dataset.loadId = Math.random().toString(36).slice(2);
let state = null;
let selected = null;
let shownFile = null;
let timeline = null;
let timelineKey = null;
let t = 0;
let stillBusy = false;
let stillWant = null;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function selectedRow() {
  return state && state.rows.find((r) => r.row === selected);
}

function renderRows() {
  const list = $('#rows');
  list.replaceChildren();
  for (const r of state.rows) {
    const li = el('li', 'row' + (r.row === selected ? ' selected' : ''));
    li.dataset.row = r.row;
    li.dataset.state = r.state;
    const top = el('div', 'top');
    top.append(el('span', 'num', '#' + r.row), el('span', 'badge', r.state), el('span', 'out', r.output));
    li.append(top);
    if (r.values.length) {
      const dl = el('dl');
      for (const [k, v] of r.values.slice(0, 6)) dl.append(el('dt', '', k), el('dd', '', v));
      li.append(dl);
    }
    if (r.reason) li.append(el('div', 'why', r.reason));
    if (r.error) li.append(el('div', 'err', r.error));
    li.addEventListener('click', () => select(r.row));
    list.append(li);
  }
}

function select(row) {
  selected = row;
  renderRows();
  showMedia();
  loadTimeline();
  if ($('#stage').classList.contains('scrubbing')) requestStill();
}

function showMedia() {
  const r = selectedRow();
  const video = $('#video');
  const stage = $('#stage');
  const file = r && r.file;
  stage.classList.toggle('has-media', !!file);
  if (file === shownFile) return;
  shownFile = file;
  if (!file) { video.removeAttribute('src'); return; }
  if (r.image) {
    video.removeAttribute('src');
    video.style.display = 'none';
    $('#still').src = file;
    stage.classList.add('scrubbing');
  } else {
    video.style.display = '';
    video.src = file;
    video.currentTime = t;
  }
}

async function loadTimeline() {
  const key = selected + '@' + (state ? state.version : 0);
  if (!selected || key === timelineKey) return;
  timelineKey = key;
  try {
    const r = await fetch('/api/timeline?row=' + selected, { cache: 'no-store' });
    if (!r.ok) { timeline = null; drawTimeline(); return; }
    timeline = await r.json();
  } catch (e) { timeline = null; }
  drawTimeline();
}

function drawTimeline() {
  const tracks = $('#tracks');
  tracks.replaceChildren();
  const scrub = $('#scrub');
  if (!timeline) return;
  scrub.max = timeline.duration;
  scrub.step = 1 / (timeline.fps || 25);
  const d = timeline.duration || 1;
  timeline.tracks.forEach((track, i) => {
    const div = el('div', 'track');
    div.dataset.track = i;
    for (const c of track.clips) {
      const clip = el('div', 'clip kind-' + c.kind, c.label);
      clip.style.left = (100 * c.start / d) + '%';
      clip.style.width = (100 * c.length / d) + '%';
      clip.title = c.label + ' · ' + c.start.toFixed(2) + '–' + (c.start + c.length).toFixed(2) + ' s · ' + c.file + ':' + c.line;
      clip._clip = c;
      clip.addEventListener('click', () => seek(c.start + 0.001, true));
      div.append(clip);
    }
    tracks.append(div);
  });
  playhead();
}

function playhead() {
  const d = timeline ? timeline.duration || 1 : 1;
  $('#playhead').style.left = Math.min(100, 100 * t / d) + '%';
  $('#time').textContent = t.toFixed(2) + ' s';
  const lines = [];
  for (const clip of document.querySelectorAll('.clip')) {
    const c = clip._clip;
    const on = t >= c.start && t < c.start + c.length;
    clip.classList.toggle('active', on);
    if (on && c.file) lines.push(c);
  }
  const src = $('#source');
  src.replaceChildren();
  for (const c of lines) {
    const line = el('div');
    line.append(el('b', '', c.file + ':' + c.line), '  ' + c.source);
    src.append(line);
  }
}

function seek(to, still) {
  t = Math.max(0, to);
  $('#scrub').value = t;
  playhead();
  if (still) requestStill();
}

async function requestStill() {
  const r = selectedRow();
  if (!r) return;
  const video = $('#video');
  video.pause();
  $('#stage').classList.add('scrubbing');
  stillWant = t;
  if (stillBusy) return;
  stillBusy = true;
  while (stillWant !== null) {
    const at = stillWant;
    stillWant = null;
    try {
      const resp = await fetch('/api/still?row=' + r.row + '&t=' + at.toFixed(3) + '&rev=' + state.version);
      if (resp.ok) {
        const url = URL.createObjectURL(await resp.blob());
        const img = $('#still');
        const old = img.src;
        img.src = url;
        img.dataset.t = at.toFixed(3);
        if (old.startsWith('blob:')) URL.revokeObjectURL(old);
      }
    } catch (e) { /* the server is gone or busy: the next drag asks again */ }
  }
  stillBusy = false;
}

function apply(s) {
  const versionChanged = !state || state.version !== s.version;
  state = s;
  body.dataset.revision = s.revision;
  body.classList.toggle('building', s.building);
  $('#status').textContent = s.status || (s.building ? '' : 'waiting');
  $('#diagnostics').innerHTML = s.diagnostics;
  if (!s.rows.some((r) => r.row === selected)) selected = s.rows.length ? s.rows[0].row : null;
  renderRows();
  showMedia();
  if (versionChanged) {
    loadTimeline();
    if ($('#stage').classList.contains('scrubbing')) requestStill();
  }
}

$('#scrub').addEventListener('input', (e) => seek(parseFloat(e.target.value), true));
$('#play').addEventListener('click', () => {
  const video = $('#video');
  if (!video.src) return;
  $('#stage').classList.remove('scrubbing');
  if (video.paused) { video.currentTime = t; video.play(); } else video.pause();
});
$('#video').addEventListener('timeupdate', (e) => {
  if (!$('#stage').classList.contains('scrubbing')) seek(e.target.currentTime, false);
});

const events = new EventSource('/api/events');
events.addEventListener('state', (e) => apply(JSON.parse(e.data)));
events.addEventListener('open', () => body.classList.add('connected'));
events.addEventListener('error', () => body.classList.remove('connected'));

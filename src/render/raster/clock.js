// reel's virtual clock for html5 pages, installed before any of the page's scripts.
// Time stands still until reel calls __reelSeek(ms): then due timers run in order,
// requestAnimationFrame callbacks get the new time, and every CSS animation, transition and
// Element.animate() is paused at its own time since it first appeared. Date.now and
// performance.now read the clock. Returns whether anything may still move.
(() => {
  "use strict";
  let now = 0;
  const epoch = Date.now();
  const RealDate = Date;
  Object.defineProperty(window, "__reelReal", {
    value: { raf: window.requestAnimationFrame.bind(window), timeout: window.setTimeout.bind(window) },
  });
  let nextId = 1;
  const timers = new Map();
  let rafs = new Map();
  const born = new WeakMap();
  const report = (e) => { try { reportError(e); } catch (_) { /* old browsers */ } };
  const call = (fn, args) => {
    try {
      if (typeof fn === "function") fn(...args); else (0, eval)(String(fn));
    } catch (e) { report(e); }
  };
  function VDate(...a) {
    if (!new.target) return new RealDate(epoch + now).toString();
    return a.length ? new RealDate(...a) : new RealDate(epoch + now);
  }
  VDate.prototype = RealDate.prototype;
  VDate.now = () => epoch + now;
  VDate.parse = RealDate.parse;
  VDate.UTC = RealDate.UTC;
  window.Date = VDate;
  // Animation timestamps start at 1 s, as in a page open for a moment: libraries such as
  // anime.js take a timestamp of 0 for "not started".
  const T0 = 1000;
  performance.now = () => T0 + now;
  const add = (fn, ms, args, every) => {
    const id = nextId++;
    const wait = Math.max(0, Number(ms) || 0);
    timers.set(id, { at: now + wait, fn, args, every: every ? Math.max(1, wait) : 0 });
    return id;
  };
  window.setTimeout = (fn, ms, ...args) => add(fn, ms, args, false);
  window.setInterval = (fn, ms, ...args) => add(fn, ms, args, true);
  window.clearTimeout = window.clearInterval = (id) => { timers.delete(id); };
  window.requestAnimationFrame = (fn) => { const id = nextId++; rafs.set(id, fn); return id; };
  window.cancelAnimationFrame = (id) => { rafs.delete(id); };
  window.__reelSeek = (t) => {
    for (let n = 0; n < 100000; n++) {
      let due = null;
      for (const [id, x] of timers) {
        if (x.at <= t && (!due || x.at < due[1].at)) due = [id, x];
      }
      if (!due) break;
      const [id, x] = due;
      now = Math.max(now, x.at);
      if (x.every) x.at += x.every; else timers.delete(id);
      call(x.fn, x.args);
    }
    now = t;
    const frame = rafs;
    rafs = new Map();
    for (const fn of frame.values()) call(fn, [T0 + now]);
    let moving = timers.size > 0 || rafs.size > 0;
    for (const a of document.getAnimations()) {
      if (!born.has(a)) born.set(a, now);
      a.pause();
      a.currentTime = now - born.get(a);
      const end = a.effect ? a.effect.getComputedTiming().endTime : 0;
      if (!(a.currentTime < end)) continue;
      moving = true;
    }
    return moving;
  };
})();

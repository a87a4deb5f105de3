// Tabs of one browser profile share one refresh cookie (or provider session) but each holds
// its own access token in memory. This file is their transport: a BroadcastChannel for news
// (refreshed, logged_in, logged_out, session_ended) and a cross-tab lock so that only one tab
// at a time presents the refresh cookie. Every message is encoded and validated by the core
// (src/tabs/tab_message.cpp); this file never looks inside one.
//
// The lock is navigator.locks (Web Locks: released by the browser when the holding tab
// closes or crashes). Without Web Locks, and with a channel, a claim protocol over the channel
// stands in: claim, wait CLAIM_WINDOW_MS for a competing claim or a holder, announce "held",
// run, announce "released". A holder that vanishes without "released" (a closed tab) expires
// after HOLD_TTL_MS. The claim window narrows a race that Web Locks closes entirely; what is
// left (two claims not seeing each other within the window) is covered by the reference
// server's grace window for an immediate predecessor (server/README.md). No token or lock
// state is ever written to storage.
//
// Timers stay off the Web Locks refresh path: browsers clamp timers in hidden tabs to >= 1 s
// (Firefox) or align them to whole seconds (Chromium), so the setTimeout(0) once taken while
// holding the lock made a hidden tab's refresh, and every tab queued behind it, wait a second.
// The yield goes through a MessageChannel, which is not throttled. Timers that remain are caps
// on waits a message normally ends (news after a contended lock, a holder's "released"), and
// the fallback's claim window: it must listen for a fixed time, and a clock-measured window
// spent yielding (no timer) starved the other tabs' message delivery when 8 tabs claimed at
// once (2 refreshes in 2 of 3 Chromium runs). So without Web Locks a hidden tab's claim takes
// up to its timer clamp; the protocol still holds, only later.

const CLAIM_WINDOW_MS = 40;
const HOLD_TTL_MS = 10_000;
// A tab that had to wait for the lock waits this long (at most) for the previous holder's news:
// the lock grant and the channel message travel separately, and the grant can come first.
const NEWS_WAIT_MS = 300;

/**
 * One macrotask, without a timer: a message to ourselves over a fresh MessageChannel (whose
 * ports are closed on delivery, so Node's event loop is not kept alive). setTimeout(0) only
 * where there is no MessageChannel.
 */
function macrotask() {
  if (typeof globalThis.MessageChannel !== "function") return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const { port1, port2 } = new globalThis.MessageChannel();
    port1.onmessage = () => {
      port1.close();
      port2.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves when one of `wakers` is called (something was heard) or after `ms`; rejects with the
 * signal's reason when `signal` aborts first.
 * @param {Set<() => void>} wakers
 */
function wakeable(wakers, ms, signal) {
  return new Promise((resolve, reject) => {
    const wake = () => {
      wakers.delete(wake);
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
      resolve();
    };
    const abort = () => {
      wake();
      reject(signal.reason);
    };
    const timer = setTimeout(wake, ms);
    wakers.add(wake);
    signal?.addEventListener("abort", abort, { once: true });
  });
}

export class Tabs {
  #channel;
  #ownsChannel;
  #locks;
  #lockName;
  #hooks;
  #listener;
  #fallback = null;
  #holderLockName;
  #releaseHolder = null;    // while this tab holds the refresh token (memory mode)
  #news = 0;                // messages acted on (adopted tokens, logouts)
  #newsWaiters = new Set();

  /**
   * @param {object} options createAuthClient options: channel, locks, clientId
   * @param {{ encode(type: string, extra?: object): string, receive(data: unknown): object,
   *           act(action: object): void, now(): number }} hooks the core's codec and the client
   */
  constructor(options, hooks) {
    const g = globalThis;
    this.#hooks = hooks;
    // Default: a channel per client id, in browsers. Not in Node, where a process is no browser
    // profile: unrelated clients (tests) would hear each other, and an open channel keeps the
    // process alive. Pass `channel` to opt in there.
    this.#ownsChannel = options.channel === undefined;
    const browser = typeof g.BroadcastChannel === "function" && typeof g.process?.versions?.node !== "string";
    this.#channel = this.#ownsChannel
      ? (browser ? new g.BroadcastChannel(`authwasm:${options.clientId}`) : null)
      : options.channel;
    this.#locks = options.locks === undefined ? (g.navigator?.locks ?? null) : options.locks;
    this.#lockName = `authwasm:refresh:${options.clientId}`;
    this.#holderLockName = `authwasm:holder:${options.clientId}`;
    if (this.#channel) {
      this.#listener = (event) => this.#receive(event.data);
      this.#channel.addEventListener("message", this.#listener);
      if (!this.#locks) this.#fallback = new ChannelLock(this, hooks.now);
    }
  }

  /** Tells the other tabs; a message the core will not encode (e.g. no live token) is not sent. */
  post(type, extra) {
    if (!this.#channel) return;
    let message;
    try {
      message = this.#hooks.encode(type, extra);
    } catch {
      return;
    }
    try {
      this.#channel.postMessage(message);
    } catch {
      // a closed channel (page being torn down): nothing to tell
    }
  }

  #receive(data) {
    let action;
    try {
      action = this.#hooks.receive(data); // never throws for bad data: the core counts it
    } catch {
      return; // the client was closed meanwhile
    }
    if (action.action === "lock") this.#fallback?.heard(action);
    else if (action.action !== "ignore") {
      this.#hooks.act(action);
      this.#news++;
      for (const wake of this.#newsWaiters) wake();
    }
  }

  /** How many messages this tab has acted on: a mark for waitForNews. */
  get news() {
    return this.#news;
  }

  /** Resolves when a message is acted on after `mark`, or after `ms`. */
  waitForNews(mark, ms = NEWS_WAIT_MS) {
    if (this.#news !== mark || !this.#channel) return Promise.resolve();
    return wakeable(this.#newsWaiters, ms);
  }

  /**
   * Runs `task(contended)` while no other tab of this profile runs one (the refresh).
   * `contended`: another tab held the lock first, so it may have just refreshed and its news
   * may still be on the way (see waitForNews).
   */
  exclusive(task, { signal } = {}) {
    // `signal` ends the wait for another tab (its reason is the rejection), never the task.
    const run = (contended) => async () => {
      await macrotask(); // news already queued is delivered before the task looks
      return task(contended);
    };
    const locks = this.#locks;
    if (locks) {
      return locks.request(this.#lockName, { ifAvailable: true }, (lock) =>
        lock ? run(false)() : locks.request(this.#lockName, signal ? { signal } : {}, run(true)));
    }
    if (this.#fallback) return this.#fallback.run(run, signal);
    return run(false)();
  }

  /** Whether this tab can hear and tell other tabs at all. */
  get connected() {
    return this.#channel !== null;
  }

  /**
   * Memory mode: this tab now holds the refresh token. It holds the Web Lock
   * `authwasm:holder:<clientId>` for as long as it does, so the others can tell a live holder
   * from one that crashed (the browser releases a dead page's locks). `steal`: a hand-off's
   * new holder takes it at once, even before the old holder's page is gone.
   */
  becomeHolder() {
    if (!this.#locks || this.#releaseHolder) return;
    const held = new Promise((resolve) => (this.#releaseHolder = resolve));
    this.#locks.request(this.#holderLockName, { steal: true }, () => held).catch(() => {});
  }

  releaseHolder() {
    this.#releaseHolder?.();
    this.#releaseHolder = null;
  }

  /** true/false: whether some tab holds the refresh token; null: cannot tell (no Web Locks). */
  async holderAlive() {
    if (typeof this.#locks?.query !== "function") return null;
    try {
      const { held = [] } = await this.#locks.query();
      return held.some((lock) => lock.name === this.#holderLockName);
    } catch {
      return null;
    }
  }

  /** pagehide: give up what this tab holds; close the channel only when the page is gone for good. */
  pagehide(persisted) {
    this.#fallback?.giveUp();
    if (!persisted) this.close();
  }

  close() {
    this.releaseHolder();
    this.#fallback?.giveUp();
    this.#fallback = null;
    if (!this.#channel) return;
    this.#channel.removeEventListener("message", this.#listener);
    if (this.#ownsChannel) this.#channel.close();
    this.#channel = null;
  }

  get sender() {
    return this.#sender ??= JSON.parse(this.#hooks.encode("lock", { op: "released", ttl: 1 })).from;
  }
  #sender;
}

// The fallback mutex over the channel (no Web Locks). State lives in this tab's memory only.
class ChannelLock {
  #tabs;
  #now;
  #holder = null;   // { from, until } announced by another tab
  #claim = null;    // { at, beaten } while this tab claims
  #holding = false;
  #wakers = new Set();

  constructor(tabs, now) {
    this.#tabs = tabs;
    this.#now = now;
  }

  heard({ op, from, at, ttl }) {
    if (op === "claim") {
      if (this.#holding) this.#tabs.post("lock", { op: "held", ttl: HOLD_TTL_MS });
      else if (this.#claim && (at < this.#claim.at || (at === this.#claim.at && from < this.#tabs.sender))) {
        this.#claim.beaten = true;
      }
    } else if (op === "held") {
      this.#holder = { from, until: this.#now() + Math.min(ttl, HOLD_TTL_MS) };
      if (this.#claim) this.#claim.beaten = true;
    } else if (op === "released" && this.#holder?.from === from) {
      this.#holder = null;
    }
    for (const wake of this.#wakers) wake();
  }

  async run(task, signal) {
    let contended = false;
    for (;;) {
      while (this.#holder && this.#now() < this.#holder.until) {
        contended = true;
        signal?.throwIfAborted();
        await wakeable(this.#wakers, this.#holder.until - this.#now(), signal);
      }
      this.#holder = null;
      const claim = { at: Date.now(), beaten: false };
      this.#claim = claim;
      this.#tabs.post("lock", { op: "claim", ttl: HOLD_TTL_MS });
      await sleep(CLAIM_WINDOW_MS); // a timer: see the top of the file
      this.#claim = null;
      if (!claim.beaten) break;
      contended = true;
      await sleep(CLAIM_WINDOW_MS * (1 + Math.random()));
    }
    this.#holding = true;
    this.#tabs.post("lock", { op: "held", ttl: HOLD_TTL_MS });
    try {
      return await task(contended)();
    } finally {
      this.giveUp();
    }
  }

  giveUp() {
    if (!this.#holding) return;
    this.#holding = false;
    this.#tabs.post("lock", { op: "released", ttl: 1 });
  }
}

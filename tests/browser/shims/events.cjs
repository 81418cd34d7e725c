// Node's EventEmitter for the browser bundle of bittorrent-tracker's client
// (tests/browser/tracker-client.mjs): the client and its WebRTC wrapper import `events`, which
// browsers lack and node_modules does not hold (the npm `events` polyfill is not installed), so
// this covers the part of the API they call.
class EventEmitter {
  constructor() {
    this._events = new Map();
  }
  _list(name) {
    if (!this._events) this._events = new Map();
    if (!this._events.has(name)) this._events.set(name, []);
    return this._events.get(name);
  }
  // Like Node, announces a listener before adding it (streamx starts flowing on a 'data' one).
  _announce(name, listener) {
    if (this._events?.get("newListener")?.length) this.emit("newListener", name, listener.listener || listener);
  }
  on(name, listener) {
    this._announce(name, listener);
    this._list(name).push(listener);
    return this;
  }
  addListener(name, listener) {
    return this.on(name, listener);
  }
  prependListener(name, listener) {
    this._announce(name, listener);
    this._list(name).unshift(listener);
    return this;
  }
  once(name, listener) {
    const wrapped = (...args) => {
      this.removeListener(name, wrapped);
      listener.apply(this, args);
    };
    wrapped.listener = listener;
    return this.on(name, wrapped);
  }
  removeListener(name, listener) {
    const list = this._list(name);
    const i = list.findIndex((l) => l === listener || l.listener === listener);
    if (i >= 0) {
      list.splice(i, 1);
      if (this._events.get("removeListener")?.length) this.emit("removeListener", name, listener);
    }
    return this;
  }
  off(name, listener) {
    return this.removeListener(name, listener);
  }
  removeAllListeners(name) {
    if (name === undefined) this._events = new Map();
    else this._events?.delete(name);
    return this;
  }
  emit(name, ...args) {
    const list = [...this._list(name)];
    if (name === "error" && list.length === 0) throw args[0] instanceof Error ? args[0] : new Error(String(args[0]));
    for (const listener of list) listener.apply(this, args);
    return list.length > 0;
  }
  listeners(name) {
    return this._list(name).map((l) => l.listener || l);
  }
  listenerCount(name) {
    return this._list(name).length;
  }
  eventNames() {
    return [...(this._events?.keys() || [])];
  }
  setMaxListeners() {
    return this;
  }
  getMaxListeners() {
    return Infinity;
  }
}
module.exports = EventEmitter;
module.exports.EventEmitter = EventEmitter;
module.exports.default = EventEmitter;

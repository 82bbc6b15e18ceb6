/**
 * JavaScript evaluated inside the sandbox before the code, in every fresh context. It is a function
 * taking the two bridge functions (`call(name, argsJson) → Promise<resultJson>` and
 * `log(level, message)`), which stay in its closure: they are never globals, so code cannot reach
 * them except through `sdk` and `console`. Everything crossing the bridge is a string of JSON made
 * here with the JSON functions captured before the code could replace them.
 *
 * `sdk` has the shape of the sandbox API (`sdk.tags`, `sdk.collections`, `sdk.log`) and, for code
 * written against the MACHHUB SDK, its names too (`sdk.tag.getValue/publish`,
 * `sdk.collection(name).filter(...).sort(...).limit(...).getAll()`).
 *
 * The answer is `finish(value)`: the result as JSON text, or a thrown TypeError when it is not JSON.
 */
export const guestPrelude = String.raw`(function (hostCall, hostLog) {
  "use strict";
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const freeze = Object.freeze;
  const isArray = Array.isArray;

  const call = (name, args) =>
    hostCall(name, stringify(args)).then((text) => (text === undefined ? undefined : parse(text)));

  const show = (value) => {
    if (typeof value === "string") return value;
    if (value instanceof Error) return value.name + ": " + value.message;
    try {
      const text = stringify(value);
      return text === undefined ? String(value) : text;
    } catch (error) {
      return String(value);
    }
  };
  const logAt = (level) => (...args) => { hostLog(level, args.map(show).join(" ")); };

  const text = (what, value) => {
    if (typeof value !== "string") throw new TypeError(what + " must be a string");
    return value;
  };

  const collectionQuery = (name, query) => {
    const next = (change) => collectionQuery(name, Object.assign({}, query, change));
    return freeze({
      filter: (field, operator, value) =>
        next({ filters: (query.filters || []).concat([{ field: text("field", field), operator: text("operator", operator), value }]) }),
      sort: (field, direction) =>
        next({ sort: (query.sort || []).concat([{ field: text("field", field), direction: direction === "desc" ? "desc" : "asc" }]) }),
      limit: (count) => next({ limit: count }),
      offset: (count) => next({ offset: count }),
      getAll: () => call("collections.list", [name, query]),
      getOne: (id) => call("collections.get", [text("id", id)]),
      first: () => call("collections.list", [name, Object.assign({}, query, { limit: 1 })]).then((rows) => (isArray(rows) ? rows[0] : undefined)),
      count: () => call("collections.list", [name, query]).then((rows) => (isArray(rows) ? rows.length : 0)),
      create: (data) => call("collections.create", [name, data]),
      update: (id, data) => call("collections.update", [text("id", id), data]),
      delete: (id) => call("collections.delete", [text("id", id)])
    });
  };

  const tags = freeze({
    read: (topic) => call("tags.read", [text("topic", topic)]),
    publish: (topic, value) => call("tags.publish", [text("topic", topic), value]).then(() => undefined)
  });
  const collections = freeze({
    get: (id) => call("collections.get", [text("id", id)]),
    list: (collection, query) => call("collections.list", query === undefined ? [text("collection", collection)] : [text("collection", collection), query]),
    create: (collection, data) => call("collections.create", [text("collection", collection), data]),
    update: (id, data) => call("collections.update", [text("id", id), data]),
    delete: (id) => call("collections.delete", [text("id", id)])
  });
  const log = Object.assign(logAt("info"), {
    debug: logAt("debug"), info: logAt("info"), warn: logAt("warn"), error: logAt("error")
  });
  freeze(log);

  const sdk = freeze({
    tags,
    collections,
    log,
    tag: freeze({ getValue: tags.read, read: tags.read, publish: tags.publish }),
    collection: (name) => collectionQuery(text("collection", name), {})
  });
  const console = freeze({
    log: logAt("info"), info: logAt("info"), debug: logAt("debug"), warn: logAt("warn"), error: logAt("error")
  });
  Object.defineProperty(globalThis, "sdk", { value: sdk, enumerable: false, writable: false, configurable: false });
  Object.defineProperty(globalThis, "console", { value: console, enumerable: false, writable: false, configurable: false });

  return {
    finish: (value) => {
      if (value === undefined) return "null";
      const text = stringify(value);
      if (text === undefined) throw new TypeError("a " + typeof value + " has no JSON form");
      return text;
    },
    describe: (error) => {
      if (error instanceof Error) return error.name + ": " + error.message;
      return "threw " + show(error);
    }
  };
})`

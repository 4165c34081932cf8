/**
 * simple-peer's self-contained browser build (browserify, with its own `buffer`, `events`,
 * `process` and `readable-stream` inside, no free `global`/`process`): it needs no bundler shims in
 * a browser and runs unchanged in Node. Typed loosely here; `peer.ts` gives it its real shape.
 */
declare module 'simple-peer/simplepeer.min.js' {
  const SimplePeer: new (options?: object) => unknown
  export default SimplePeer
}

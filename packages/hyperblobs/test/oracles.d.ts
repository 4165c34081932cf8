// The real hyperblobs ships no TypeScript types; the tests use it as an untyped oracle.
declare module 'hyperblobs'

/**
 * The project's jose, for bench code: a bare `'jose'` in `bench/` resolves to the older jose that
 * some peers install in `bench/node_modules`, which imports keys as `KeyObject`s, not `CryptoKey`s.
 */
export * from 'jose';

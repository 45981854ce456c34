/**
 * `nestjs-webhooks/typeorm`: the TypeORM backend's entities, migrations and stores. Importing this loads `typeorm`
 * and `@nestjs/typeorm` (optional peers of the package, needed only with `store_backend: 'typeorm'`).
 */
export * from './stores/typeorm';
// The receiver's replay store, entity and migration.
export * from './receiver/typeorm';
